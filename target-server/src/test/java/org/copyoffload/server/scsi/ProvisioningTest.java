package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.LbaStatusDescriptor;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.copyoffload.protocol.scsi.ServiceActionIn16Cdb;
import org.copyoffload.protocol.scsi.UnmapCdb;
import org.copyoffload.protocol.scsi.UnmapParameterList;
import org.copyoffload.protocol.scsi.UnmapParameterList.Descriptor;
import org.copyoffload.protocol.scsi.WriteSameCdb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** WRITE SAME, UNMAP and GET LBA STATUS. */
class ProvisioningTest extends ScsiTestBase {
    static byte[] ws(OperationCode op, long lba, long blocks, boolean unmap) {
        return new WriteSameCdb(op, lba, blocks, 0, false, unmap, false).encode();
    }

    /** GET LBA STATUS descriptors from {@code lba}. */
    List<LbaStatusDescriptor> lbaStatus(long lun, long lba, int allocation) {
        byte[] d = run(lun, new ServiceActionIn16Cdb(0x12, lba, allocation).encode()).good().data();
        ByteBuffer b = ByteBuffer.wrap(d);
        int length = b.getInt(0);
        assertThat((length - 4) % 16).isZero();
        List<LbaStatusDescriptor> out = new ArrayList<>();
        for (int at = 8; at + 16 <= d.length; at += 16) {
            out.add(new LbaStatusDescriptor(b.getLong(at), b.getInt(at + 8) & 0xFFFF_FFFFL, d[at + 12] & 0x0F));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"WRITE_SAME_10", "WRITE_SAME_16"})
    void writeSameRepeatsTheBlock(OperationCode op) {
        byte[] block = random(21, 512);
        write(LUN_512, ws(op, 100, 300, false), block).good();
        byte[] back = read16(LUN_512, 99, 302);
        for (int i = 0; i < 300; i++) {
            assertThat(java.util.Arrays.copyOfRange(back, (i + 1) * 512, (i + 2) * 512)).isEqualTo(block);
        }
        assertThat(java.util.Arrays.copyOf(back, 512)).containsOnly(0);
        assertThat(java.util.Arrays.copyOfRange(back, 301 * 512, 302 * 512)).containsOnly(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"WRITE_SAME_10", "WRITE_SAME_16"})
    void writeSameOfZerosWithUnmapDeallocates(OperationCode op) throws Exception {
        write16(LUN_4K, 64, random(22, 64 * 4096));
        assertThat(lbaStatus(LUN_4K, 64, 24).getFirst())
                .isEqualTo(new LbaStatusDescriptor(64, 64, LbaStatusDescriptor.MAPPED));
        long before = store4k.allocatedBytes();
        write(LUN_4K, ws(op, 64, 64, true), new byte[4096]).good();
        assertThat(read16(LUN_4K, 64, 64)).containsOnly(0);
        assertThat(store4k.allocatedBytes()).isLessThan(before);
        LbaStatusDescriptor d = lbaStatus(LUN_4K, 64, 24).getFirst();
        assertThat(d.provisioningStatus()).isEqualTo(LbaStatusDescriptor.DEALLOCATED);
        assertThat(d.lba()).isEqualTo(64);
        assertThat(d.blocks()).isGreaterThanOrEqualTo(64);
    }

    @Test
    void writeSame16WithNdobWritesZerosWithoutDataOut() {
        write16(LUN_4K, 8, filled(0xEE, 4 * 4096));
        send(A, LUN_4K, new WriteSameCdb(OperationCode.WRITE_SAME_16, 8, 4, 0, false, false, true).encode(), null, 0,
                false, false).good();
        assertThat(read16(LUN_4K, 8, 4)).containsOnly(0);
    }

    @Test
    void writeSameErrorsInOrder() {
        byte[] block = new byte[4096];
        // WRPROTECT, ANCHOR (with or without UNMAP: ANC_SUP is zero).
        write(LUN_4K, new WriteSameCdb(OperationCode.WRITE_SAME_10, 0, 1, 3, false, false, false).encode(), block)
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 7));
        write(LUN_4K, new WriteSameCdb(OperationCode.WRITE_SAME_10, 0, 1, 0, true, false, false).encode(), block)
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 4));
        write(LUN_4K, new WriteSameCdb(OperationCode.WRITE_SAME_16, 0, 1, 0, true, true, false).encode(), block)
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 4));
        // MAXIMUM WRITE SAME LENGTH 65535.
        write(LUN_512, ws(OperationCode.WRITE_SAME_16, 0, 65536, true), new byte[512])
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(10, 7));
        // Zero blocks: WSNZ = 1, but past the end it is the LBA that is wrong.
        write(LUN_4K, ws(OperationCode.WRITE_SAME_10, 0, 0, false), block)
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(7, 7));
        write(LUN_4K, ws(OperationCode.WRITE_SAME_16, BLOCKS_4K + 1, 0, false), block)
                .check(AdditionalSense.LBA_OUT_OF_RANGE);
        write(LUN_4K, ws(OperationCode.WRITE_SAME_16, -1, 0, false), block).check(AdditionalSense.LBA_OUT_OF_RANGE);
        write(LUN_4K, ws(OperationCode.WRITE_SAME_10, BLOCKS_4K - 1, 2, false), block)
                .check(AdditionalSense.LBA_OUT_OF_RANGE);
        // Data-out other than one block (libiscsi WriteSame InvalidDataOutSize).
        write(LUN_4K, ws(OperationCode.WRITE_SAME_10, 0, 1, true), new byte[2048])
                .check(AdditionalSense.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);
        write(LUN_4K, ws(OperationCode.WRITE_SAME_10, 0, 1, true), new byte[8192])
                .check(AdditionalSense.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);
        assertThat(store4k.writes).hasValue(0);
    }

    @Test
    void writeSameIsDurableWhenTheCacheIsOff() {
        ModePagesTest.setWriteCache(this, LUN_4K, false);
        write(LUN_4K, ws(OperationCode.WRITE_SAME_10, 0, 4, false), filled(1, 4096)).good();
        write(LUN_4K, ws(OperationCode.WRITE_SAME_10, 4, 4, true), new byte[4096]).good();
        // The pattern is written, then flushed (after the flush of turning the cache off); the zeroing is itself
        // durable.
        assertThat(store4k.flushes).hasValue(2);
        assertThat(store4k.durableWrites).hasValue(1);
    }

    // ---- UNMAP

    byte[] unmapList(Descriptor... ds) {
        return new UnmapParameterList(List.of(ds)).encode();
    }

    Result unmap(long lun, byte[] list) {
        return write(lun, new UnmapCdb(false, list.length).encode(), list);
    }

    @Test
    void unmapDeallocatesEveryDescriptorAndTheyReadAsZeros() throws Exception {
        write16(LUN_4K, 0, random(23, 256 * 4096));
        long before = store4k.allocatedBytes();
        unmap(LUN_4K, unmapList(new Descriptor(0, 16, 0), new Descriptor(32, 16, 0), new Descriptor(100, 0, 0)))
                .good();
        byte[] back = read16(LUN_4K, 0, 48);
        assertThat(java.util.Arrays.copyOf(back, 16 * 4096)).containsOnly(0);
        assertThat(java.util.Arrays.copyOfRange(back, 16 * 4096, 32 * 4096)).isNotEqualTo(new byte[16 * 4096]);
        assertThat(java.util.Arrays.copyOfRange(back, 32 * 4096, 48 * 4096)).containsOnly(0);
        assertThat(store4k.allocatedBytes()).isLessThan(before);
        assertThat(lbaStatus(LUN_4K, 0, 8 + 16 * 4)).startsWith(
                new LbaStatusDescriptor(0, 16, LbaStatusDescriptor.DEALLOCATED),
                new LbaStatusDescriptor(16, 16, LbaStatusDescriptor.MAPPED),
                new LbaStatusDescriptor(32, 16, LbaStatusDescriptor.DEALLOCATED));
    }

    @Test
    void unmapOfZeroBlocksAnywhereUpToTheEndAndOfNoDescriptorsIsGood() {
        unmap(LUN_4K, unmapList(new Descriptor(BLOCKS_4K, 0, 0))).good();
        unmap(LUN_4K, unmapList()).good();
        write(LUN_4K, new UnmapCdb(false, 0).encode(), new byte[0]).good();
        assertThat(store4k.writes).hasValue(0);
    }

    @Test
    void unmapErrors() {
        unmap(LUN_4K, unmapList(new Descriptor(BLOCKS_4K - 1, 2, 0))).check(AdditionalSense.LBA_OUT_OF_RANGE);
        unmap(LUN_4K, unmapList(new Descriptor(-1, 1, 0))).check(AdditionalSense.LBA_OUT_OF_RANGE);
        // The whole list is checked first: a bad second descriptor deallocates nothing.
        write16(LUN_4K, 0, filled(1, 4096));
        unmap(LUN_4K, unmapList(new Descriptor(0, 1, 0), new Descriptor(BLOCKS_4K, 1, 0)))
                .check(AdditionalSense.LBA_OUT_OF_RANGE);
        assertThat(read16(LUN_4K, 0, 1)).containsOnly(1);
        // MAXIMUM UNMAP LBA COUNT (1 Mi) over all descriptors: the pointer is at the descriptor that crosses it.
        unmap(LUN_512, unmapList(new Descriptor(0, 8000, 0), new Descriptor(0, (1 << 20) - 7000, 0)))
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(8 + 16 + 8, 7));
        // PARAMETER LIST LENGTH of 1 to 7.
        write(LUN_4K, new UnmapCdb(false, 7).encode(), new byte[7]).check(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
        // ANCHOR.
        byte[] list = unmapList(new Descriptor(0, 1, 0));
        write(LUN_4K, new UnmapCdb(true, list.length).encode(), list)
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 0));
    }

    @Test
    void tooManyDescriptorsIsAnInvalidParameterList() {
        Descriptor[] ds = new Descriptor[4096];
        for (int i = 0; i < ds.length; i++) {
            ds[i] = new Descriptor(i, 0, 0);
        }
        byte[] list = unmapList(ds); // 8 + 65536 bytes: longer than the 16-bit PARAMETER LIST LENGTH can say
        byte[] max = java.util.Arrays.copyOf(list, 0xFFFF);
        max[2] = (byte) 0xFF;
        max[3] = (byte) 0xF7; // 4095 whole descriptors and a partial one
        write(LUN_4K, new UnmapCdb(false, 0xFFFF).encode(), max).good();
        // With a 4095-descriptor limit set lower, the same list is refused.
        ScsiTarget small = new ScsiTarget(TARGET, java.util.Map.of(0L, target.unit(0).volume()), executor,
                new Limits(1 << 20, 1 << 20, 16, 0xFFFF, 255));
        ScsiTarget saved = target;
        target = small;
        try {
            unmap(0, unmapList(java.util.Arrays.copyOf(ds, 17)))
                    .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(2, 7));
            unmap(0, unmapList(java.util.Arrays.copyOf(ds, 16))).good();
        } finally {
            target = saved;
        }
    }

    // ---- GET LBA STATUS

    @Test
    void lbaStatusOfANewUnitIsOneDeallocatedRun() {
        assertThat(lbaStatus(LUN_4K, 0, 24))
                .containsExactly(new LbaStatusDescriptor(0, BLOCKS_4K, LbaStatusDescriptor.DEALLOCATED));
        assertThat(lbaStatus(LUN_4K, BLOCKS_4K - 1, 24))
                .containsExactly(new LbaStatusDescriptor(BLOCKS_4K - 1, 1, LbaStatusDescriptor.DEALLOCATED));
    }

    @Test
    void lbaStatusStartsAtTheRequestedLbaAndTilesTheRest() {
        write16(LUN_512, 64, random(24, 64 * 512));
        List<LbaStatusDescriptor> ds = lbaStatus(LUN_512, 10, 8 + 16 * 10);
        assertThat(ds.getFirst().lba()).isEqualTo(10);
        long at = 10;
        for (LbaStatusDescriptor d : ds) {
            assertThat(d.lba()).isEqualTo(at);
            at += d.blocks();
        }
        assertThat(at).isEqualTo(BLOCKS_512);
        assertThat(ds).contains(new LbaStatusDescriptor(64, 64, LbaStatusDescriptor.MAPPED));
        // A 512-byte block unmapped inside a written 4 KiB filesystem block stays mapped (it cannot be a hole)
        // but reads as zeros.
        unmap(LUN_512, unmapList(new Descriptor(65, 1, 0))).good();
        assertThat(read16(LUN_512, 65, 1)).containsOnly(0);
        assertThat(lbaStatus(LUN_512, 66, 24).getFirst().provisioningStatus()).isEqualTo(LbaStatusDescriptor.MAPPED);
    }

    @Test
    void lbaStatusErrorsAndAllocationLength() {
        run(LUN_4K, new ServiceActionIn16Cdb(0x12, BLOCKS_4K, 24).encode()).check(AdditionalSense.LBA_OUT_OF_RANGE);
        run(LUN_4K, new ServiceActionIn16Cdb(0x12, BLOCKS_4K + 1, 24).encode()).check(AdditionalSense.LBA_OUT_OF_RANGE);
        run(LUN_4K, new ServiceActionIn16Cdb(0x12, 0x8000000000000000L, 24).encode())
                .check(AdditionalSense.LBA_OUT_OF_RANGE);
        run(LUN_4K, new ServiceActionIn16Cdb(0x12, -1, 24).encode()).check(AdditionalSense.LBA_OUT_OF_RANGE);
        assertThat(run(LUN_4K, new ServiceActionIn16Cdb(0x12, 0, 10).encode()).good().data()).hasSize(10);
        assertThat(run(LUN_4K, new ServiceActionIn16Cdb(0x12, 0, 0).encode()).good().data()).isEmpty();
    }
}
