package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.ReportLunsCdb;
import org.copyoffload.protocol.scsi.ReportSupportedOpcodesCdb;
import org.copyoffload.protocol.scsi.ReportSupportedTmfCdb;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.copyoffload.protocol.scsi.StartStopUnitCdb;
import org.junit.jupiter.api.Test;

/** REPORT LUNS, REPORT SUPPORTED OPERATION CODES / TASK MANAGEMENT FUNCTIONS, TEST UNIT READY, START STOP UNIT. */
class ReportAndStatusTest extends ScsiTestBase {
    @Test
    void reportLuns() {
        byte[] all = run(LUN_512, new ReportLunsCdb(0, 1024).encode()).good().data();
        assertThat(all).isEqualTo(new byte[] {0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});
        assertThat(run(LUN_512, new ReportLunsCdb(2, 1024).encode()).good().data()).isEqualTo(all);
        assertThat(run(LUN_512, new ReportLunsCdb(0x11, 1024).encode()).good().data()).isEqualTo(all);
        assertThat(run(LUN_512, new ReportLunsCdb(1, 1024).encode()).good().data()).isEqualTo(new byte[8]);
        assertThat(run(LUN_512, new ReportLunsCdb(0, 12).encode()).good().data()).hasSize(12);
        run(LUN_512, new ReportLunsCdb(3, 1024).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
    }

    record Descriptor(int opcode, int sa, boolean servactv, boolean ctdp, int cdbLength, int timeoutLength) {
    }

    List<Descriptor> all(boolean rctd) {
        byte[] d = run(LUN_4K, new ReportSupportedOpcodesCdb(rctd, 0, 0, 0, 65535).encode()).good().data();
        ByteBuffer b = ByteBuffer.wrap(d);
        assertThat(b.getInt(0)).isEqualTo(d.length - 4);
        List<Descriptor> out = new ArrayList<>();
        for (int at = 4; at < d.length; ) {
            boolean ctdp = (d[at + 5] & 2) != 0;
            out.add(new Descriptor(d[at] & 0xFF, b.getShort(at + 2) & 0xFFFF, (d[at + 5] & 1) != 0, ctdp,
                    b.getShort(at + 6), ctdp ? b.getShort(at + 8) : -1));
            at += ctdp ? 20 : 8;
        }
        return out;
    }

    @Test
    void everyCommandIsListedAndEachCanBeAskedAbout() {
        List<Descriptor> list = all(false);
        // every command of a conventional unit: the table less the zoned-only ones (ZBC IN/OUT)
        assertThat(list).hasSize((int) target.commands().entries().stream()
                .filter(e -> e.appliesTo(target.unit(LUN_4K))).count());
        assertThat(list).noneMatch(d -> d.opcode() == 0x94 || d.opcode() == 0x95);
        assertThat(list).noneMatch(Descriptor::ctdp);
        assertThat(list).allMatch(d -> d.servactv() || d.sa() == 0);
        assertThat(list).anyMatch(d -> d.opcode() == 0x9E && d.sa() == 0x10 && d.servactv());
        assertThat(list).anyMatch(d -> d.opcode() == 0x89 && d.cdbLength() == 16);
        assertThat(list).anyMatch(d -> d.opcode() == 0x83 && d.sa() == 0 && d.servactv()); // EXTENDED COPY (LID1)
        assertThat(list).anyMatch(d -> d.opcode() == 0x84 && d.sa() == 3 && d.servactv()); // OPERATING PARAMETERS
        for (Descriptor d : list) {
            int options = d.servactv() ? 2 : 1;
            byte[] one = run(LUN_4K, new ReportSupportedOpcodesCdb(false, options, d.opcode(), d.sa(), 65535)
                    .encode()).good().data();
            assertThat(one[1] & 7).as("SUPPORT of %02x/%02x", d.opcode(), d.sa()).isEqualTo(3);
            int cdbSize = (one[2] & 0xFF) << 8 | one[3] & 0xFF;
            assertThat(cdbSize).isEqualTo(d.cdbLength());
            assertThat(one[4] & 0xFF).isEqualTo(d.opcode());
            assertThat(one[4 + cdbSize - 1] & 0x04).as("NACA is evaluated").isEqualTo(4);
            // The other form is refused.
            run(LUN_4K, new ReportSupportedOpcodesCdb(false, 3 - options, d.opcode(), d.sa(), 65535).encode())
                    .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 2));
            // 011b takes either.
            assertThat(run(LUN_4K, new ReportSupportedOpcodesCdb(false, 3, d.opcode(), d.sa(), 65535).encode())
                    .good().data()).isEqualTo(one);
        }
    }

    @Test
    void withRctdEveryDescriptorHasATimeoutsDescriptor() {
        List<Descriptor> list = all(true);
        assertThat(list).allMatch(Descriptor::ctdp);
        assertThat(list).allMatch(d -> d.timeoutLength() == 0x0A);
        byte[] one = run(LUN_4K, new ReportSupportedOpcodesCdb(true, 1, 0x28, 0, 65535).encode()).good().data();
        assertThat(one[1] & 0x80).as("CTDP").isEqualTo(0x80);
        assertThat(one).hasSize(4 + 10 + 12);
    }

    @Test
    void usageDataShowsDpoAndFuaAndUnsupportedCommandsSaySo() {
        byte[] read10 = run(LUN_4K, new ReportSupportedOpcodesCdb(false, 1, 0x28, 0, 65535).encode()).good().data();
        assertThat(read10[4 + 1] & 0x18).isEqualTo(0x18);
        byte[] caw = run(LUN_4K, new ReportSupportedOpcodesCdb(false, 1, 0x89, 0, 65535).encode()).good().data();
        assertThat(caw[4 + 1] & 0x18).isEqualTo(0x18);
        byte[] verify = run(LUN_4K, new ReportSupportedOpcodesCdb(false, 1, 0x2F, 0, 65535).encode()).good().data();
        assertThat(verify[4 + 1] & 0x10).isEqualTo(0x10);
        byte[] unsupported = run(LUN_4K, new ReportSupportedOpcodesCdb(false, 2, 0x83, 0x02, 65535).encode()).good()
                .data();
        assertThat(unsupported).as("83h/02h is not supported").isEqualTo(new byte[] {0, 1, 0, 0});
        byte[] populate = run(LUN_4K, new ReportSupportedOpcodesCdb(false, 2, 0x83, 0x10, 65535).encode()).good()
                .data();
        assertThat(populate[1] & 7).as("POPULATE TOKEN is supported").isEqualTo(3);
        assertThat(java.util.Arrays.copyOfRange(populate, 4, 20)).isEqualTo(org.copyoffload.protocol.scsi.CdbField
                .usageData(0x83, 16, org.copyoffload.protocol.scsi.TokenCopyCdb.FIELDS));
        byte[] badSa = run(LUN_4K, new ReportSupportedOpcodesCdb(false, 2, 0x9E, 0x13, 65535).encode()).good().data();
        assertThat(badSa[1] & 7).isEqualTo(1);
        run(LUN_4K, new ReportSupportedOpcodesCdb(false, 5, 0, 0, 65535).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 2));
        assertThat(run(LUN_4K, new ReportSupportedOpcodesCdb(false, 0, 0, 0, 10).encode()).good().data()).hasSize(10);
    }

    @Test
    void reportSupportedTaskManagementFunctions() {
        byte[] d = run(LUN_4K, new ReportSupportedTmfCdb(false, 4).encode()).good().data();
        // ATS, ATSS, CTSS, LURS, TRS.
        assertThat(d).isEqualTo(new byte[] {(byte) 0xDA, 0, 0, 0});
        assertThat(run(LUN_4K, new ReportSupportedTmfCdb(true, 16).encode()).good().data()).hasSize(16);
    }

    @Test
    void startStopUnit() {
        run(LUN_4K, new StartStopUnitCdb(false, 0, 0, false, false, true).encode()).good();
        assertThat(store4k.flushes).hasValue(0);
        // Stopping writes the cache to the medium, unless NO_FLUSH.
        run(LUN_4K, new StartStopUnitCdb(false, 0, 0, false, false, false).encode()).good();
        assertThat(store4k.flushes).hasValue(1);
        run(LUN_4K, new StartStopUnitCdb(false, 0, 0, true, false, false).encode()).good();
        assertThat(store4k.flushes).hasValue(1);
        // The unit still reads and writes.
        run(LUN_4K, tur()).good();
        // No medium to eject (libiscsi StartStopUnit.Simple wants this to fail).
        run(LUN_4K, new StartStopUnitCdb(true, 0, 0, false, true, false).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(4, 1));
        for (int pc : new int[] {1, 2, 3, 7, 0xA, 0xB}) {
            run(LUN_4K, new StartStopUnitCdb(true, 0, pc, false, false, false).encode()).good();
        }
        run(LUN_4K, new StartStopUnitCdb(true, 0, 5, false, false, false).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(4, 7));
    }
}
