package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.copyoffload.backends.store.MemoryBlockStore;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.copyoffload.server.volume.Volume;
import org.junit.jupiter.api.Test;

/** INQUIRY: standard data and each VPD page, as libiscsi's Inquiry tests and Linux read them. */
class InquiryTest extends ScsiTestBase {
    byte[] vpd(long lun, int page) {
        return run(lun, new InquiryCdb(true, page, 0xFFFF).encode()).good().data();
    }

    @Test
    void standardData() {
        byte[] d = run(LUN_4K, new InquiryCdb(false, 0, 260).encode()).good().data();
        assertThat(d.length).isGreaterThanOrEqualTo(36);
        assertThat(d[0]).as("qualifier 000b, direct access block device").isZero();
        assertThat(d[1] & 0x80).as("RMB").isZero();
        assertThat(d[2]).as("VERSION: SPC-4, the newest libiscsi accepts").isEqualTo((byte) 0x06);
        assertThat(d[3] & 0x1F).as("HISUP, RESPONSE DATA FORMAT 2").isEqualTo(0x12);
        assertThat(d[4] & 0xFF).as("ADDITIONAL LENGTH").isEqualTo(d.length - 5);
        assertThat(d[5] & 0x08).as("3PC: EXTENDED COPY (LID1)").isEqualTo(0x08);
        assertThat(d[5] & 0x01).as("PROTECT").isZero();
        assertThat(d[7] & 0x02).as("CMDQUE").isEqualTo(2);
        assertThat(new String(d, 8, 8, StandardCharsets.US_ASCII)).isEqualTo("COPYOFFL");
        assertThat(new String(d, 16, 16, StandardCharsets.US_ASCII)).isEqualTo("copyoffload     ");
        for (int i = 8; i < 36; i++) {
            assertThat(d[i] & 0xFF).isBetween(0x20, 0x7E);
        }
        // Version descriptors: SAM-5, iSCSI, SPC-4, SBC-3.
        assertThat(Arrays.copyOfRange(d, 58, 66)).isEqualTo(new byte[] {0x00, (byte) 0xA0, 0x09, 0x60, 0x04, 0x60,
                0x04, (byte) 0xC0});
    }

    @Test
    void allocationLengthCutsTheStandardData() {
        byte[] full = run(LUN_4K, new InquiryCdb(false, 0, 255).encode()).good().data();
        for (int alloc = 0; alloc < 256; alloc += 17) {
            assertThat(run(LUN_4K, new InquiryCdb(false, 0, alloc).encode()).good().data())
                    .isEqualTo(Arrays.copyOf(full, Math.min(alloc, full.length)));
        }
        assertThat(run(LUN_4K, new InquiryCdb(false, 0, 256).encode()).good().data()).isEqualTo(full);
    }

    @Test
    void pageCodeWithoutEvpdIsInvalid() {
        run(LUN_4K, new InquiryCdb(false, 1, 256).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
        run(LUN_4K, new InquiryCdb(true, 0x87, 256).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
    }

    @Test
    void everySupportedPageCanBeRead() {
        byte[] supported = vpd(LUN_4K, 0x00);
        assertThat(Arrays.copyOfRange(supported, 4, supported.length)).isEqualTo(new byte[] {0x00, (byte) 0x80,
                (byte) 0x83, (byte) 0x86, (byte) 0x8F, (byte) 0xB0, (byte) 0xB1, (byte) 0xB2});
        for (int i = 4; i < supported.length; i++) {
            byte[] page = vpd(LUN_512, supported[i] & 0xFF);
            assertThat(page[1]).isEqualTo(supported[i]);
            assertThat(((page[2] & 0xFF) << 8 | page[3] & 0xFF)).isEqualTo(page.length - 4);
        }
    }

    @Test
    void serialNumberIsStableAndDistinct() {
        String serial = new String(vpd(LUN_4K, 0x80), 4, 24, StandardCharsets.US_ASCII);
        assertThat(serial).matches("[0-9A-F]{24}");
        assertThat(new String(vpd(LUN_512, 0x80), 4, 24, StandardCharsets.US_ASCII)).isNotEqualTo(serial);
        // Another target object with the same names: the same serial (stable across restarts).
        ScsiTarget again = new ScsiTarget(TARGET, Map.of(5L, new Volume("vol-4k", new MemoryBlockStore(1 << 20), 4096)),
                executor);
        assertThat(again.unit(5).serial()).isEqualTo(serial);
        ScsiTarget other = new ScsiTarget(TARGET + "-2",
                Map.of(5L, new Volume("vol-4k", new MemoryBlockStore(1 << 20), 4096)), executor);
        assertThat(other.unit(5).serial()).isNotEqualTo(serial);
    }

    @Test
    void deviceIdentificationDesignators() {
        byte[] page = run(B, LUN_4K, new InquiryCdb(true, 0x83, 1024).encode()).good().data();
        Map<String, byte[]> found = new HashMap<>();
        int at = 4;
        while (at < page.length) {
            int codeSet = page[at] & 0x0F;
            int protocol = (page[at] & 0xF0) >>> 4;
            boolean piv = (page[at + 1] & 0x80) != 0;
            int association = (page[at + 1] >>> 4) & 3;
            int type = page[at + 1] & 0x0F;
            int length = page[at + 3] & 0xFF;
            found.put(type + "/" + association + "/" + codeSet + "/" + (piv ? protocol : -1),
                    Arrays.copyOfRange(page, at + 4, at + 4 + length));
            at += 4 + length;
        }
        assertThat(at).isEqualTo(page.length);
        byte[] naa = found.get("3/0/1/-1");
        assertThat(naa).hasSize(16);
        assertThat(naa[0] & 0xF0).isEqualTo(0x60);
        assertThat(new String(found.get("8/1/3/5"), StandardCharsets.UTF_8)).startsWith(TARGET + ",t,0x0002\0");
        assertThat(found.get("8/1/3/5").length % 4).isZero();
        assertThat(found.get("4/1/1/5")).isEqualTo(new byte[] {0, 0, 0, 2}); // B's relative target port
        assertThat(found.get("5/1/1/-1")).isEqualTo(new byte[] {0, 0, 0, 1}); // target port group
        assertThat(new String(found.get("8/2/3/5"), StandardCharsets.UTF_8)).startsWith(TARGET + "\0");
        assertThat(new String(found.get("1/0/2/-1"), StandardCharsets.US_ASCII)).startsWith("COPYOFFL");
        // The logical unit designators are the same through another port; the port ones are not.
        byte[] viaA = run(A, LUN_4K, new InquiryCdb(true, 0x83, 1024).encode()).good().data();
        assertThat(Arrays.copyOfRange(viaA, 4, 24)).isEqualTo(Arrays.copyOfRange(page, 4, 24));
        assertThat(viaA).isNotEqualTo(page);
    }

    @Test
    void blockLimits() {
        ByteBuffer b = ByteBuffer.wrap(vpd(LUN_4K, 0xB0));
        assertThat(b.getShort(2)).isEqualTo((short) 0x3C);
        assertThat(b.get(4) & 1).as("WSNZ").isEqualTo(1);
        assertThat(b.get(5) & 0xFF).as("MAXIMUM COMPARE AND WRITE LENGTH").isEqualTo(255);
        assertThat(b.getInt(8)).as("MAXIMUM TRANSFER LENGTH").isEqualTo(2048);
        assertThat(b.getInt(20)).as("MAXIMUM UNMAP LBA COUNT").isEqualTo(1 << 20);
        assertThat(b.getInt(24)).as("MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT").isEqualTo(4095);
        assertThat(b.getLong(36)).as("MAXIMUM WRITE SAME LENGTH").isEqualTo(0xFFFF);
        ByteBuffer small = ByteBuffer.wrap(vpd(LUN_512, 0xB0));
        assertThat(small.getInt(8)).isEqualTo(16384);
        assertThat(small.getInt(28)).as("OPTIMAL UNMAP GRANULARITY").isEqualTo(8);
        assertThat(small.get(5) & 0xFF).isEqualTo(255);
    }

    @Test
    void provisioningCharacteristicsAndExtendedInquiry() {
        byte[] b2 = vpd(LUN_4K, 0xB2);
        assertThat(b2[5] & 0xE0).as("LBPU, LBPWS, LBPWS10").isEqualTo(0xE0);
        assertThat((b2[5] >>> 2) & 7).as("LBPRZ").isEqualTo(1);
        assertThat(b2[5] & 0x02).as("ANC_SUP").isZero();
        assertThat(b2[6] & 7).as("thin provisioned").isEqualTo(2);
        byte[] b1 = vpd(LUN_4K, 0xB1);
        assertThat(((b1[4] & 0xFF) << 8) | b1[5] & 0xFF).as("non-rotating").isEqualTo(1);
        assertThat(b1[8] & 1).as("VBULS").isEqualTo(1);
        byte[] ext = vpd(LUN_4K, 0x86);
        assertThat(ext[5] & 7).as("SIMPSUP only").isEqualTo(1);
        assertThat(ext[6] & 1).as("V_SUP").isEqualTo(1);
    }

    @Test
    void vpdAtAnEmptyLun() {
        byte[] supported = run(9, new InquiryCdb(true, 0, 255).encode()).good().data();
        assertThat(supported).isEqualTo(new byte[] {0x7F, 0, 0, 1, 0});
        run(9, new InquiryCdb(true, 0x80, 255).encode()).check(AdditionalSense.INVALID_FIELD_IN_CDB);
    }
}
