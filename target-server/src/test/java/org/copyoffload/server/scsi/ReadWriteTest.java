package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CacheRangeCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReadCapacityData;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.copyoffload.protocol.scsi.ServiceActionIn16Cdb;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** READ and WRITE (6)-(16), READ CAPACITY, SYNCHRONIZE CACHE and PRE-FETCH, with their error paths. */
class ReadWriteTest extends ScsiTestBase {
    static ReadWriteCdb cdb(OperationCode op, long lba, long blocks) {
        return new ReadWriteCdb(op, lba, blocks, 0, false, false);
    }

    @ParameterizedTest
    @CsvSource({"WRITE_6, READ_6, 0", "WRITE_10, READ_10, 0", "WRITE_12, READ_12, 0", "WRITE_16, READ_16, 0",
            "WRITE_6, READ_6, 1", "WRITE_10, READ_10, 1", "WRITE_12, READ_12, 1", "WRITE_16, READ_16, 1"})
    void writtenBlocksReadBackInEveryForm(OperationCode write, OperationCode read, long lun) {
        int bs = blockSize(lun);
        byte[] data = random(lun * 31 + write.code(), 7 * bs);
        write(lun, cdb(write, 100, 7).encode(), data).good();
        assertThat(run(lun, cdb(read, 100, 7).encode()).good().data()).isEqualTo(data);
        // The neighbours are untouched.
        assertThat(run(lun, cdb(read, 99, 1).encode()).good().data()).containsOnly(0);
        assertThat(run(lun, cdb(read, 107, 1).encode()).good().data()).containsOnly(0);
    }

    @Test
    void sixByteTransferLengthZeroMeans256Blocks() {
        byte[] cdb = cdb(OperationCode.READ_6, 0, 256).encode();
        assertThat(cdb[4]).isZero();
        assertThat(run(LUN_512, cdb).good().data()).hasSize(256 * 512);
    }

    @ParameterizedTest
    @ValueSource(strings = {"READ_10", "READ_12", "READ_16", "WRITE_10", "WRITE_12", "WRITE_16"})
    void zeroBlocksTransferNothingAndAreGood(OperationCode op) {
        Result r = send(A, LUN_4K, cdb(op, 0, 0).encode(), null, 0, false, false).good();
        assertThat(r.data()).isEmpty();
        assertThat(store4k.writes).hasValue(0);
    }

    @ParameterizedTest
    @CsvSource({"READ_10, 0", "READ_16, 0", "WRITE_10, 1", "WRITE_16, 1", "READ_6, 1", "WRITE_12, 0"})
    void lbaOutOfRange(OperationCode op, long lun) {
        long n = blocks(lun);
        boolean write = op.name().startsWith("WRITE");
        for (long[] lbaBlocks : new long[][] {{n, 1}, {n - 1, 2}, {n + 1, 0}, {0x1FFFFF, 1}}) {
            byte[] c = cdb(op, lbaBlocks[0], lbaBlocks[1]).encode();
            byte[] data = new byte[(int) lbaBlocks[1] * blockSize(lun)];
            Result r = write ? write(lun, c, data) : run(lun, c);
            r.check(AdditionalSense.LBA_OUT_OF_RANGE);
        }
        if (op.cdbLength() > 6) {
            run(lun, cdb(op, 0x80000000L, 1).encode()).check(AdditionalSense.LBA_OUT_OF_RANGE);
            run(lun, cdb(op, op.cdbLength() == 16 ? -1L : 0xFFFFFFFFL, 1).encode())
                    .check(AdditionalSense.LBA_OUT_OF_RANGE);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"READ_10", "READ_12", "READ_16", "WRITE_10", "WRITE_12", "WRITE_16"})
    void anyProtectionFieldIsInvalidBecauseThereIsNoProtectionInformation(OperationCode op) {
        for (int protect = 1; protect < 8; protect++) {
            byte[] c = new ReadWriteCdb(op, 0, 1, protect, false, false).encode();
            Result r = op.name().startsWith("WRITE") ? write(LUN_4K, c, new byte[4096]) : run(LUN_4K, c);
            r.check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 7));
        }
    }

    @Test
    void transfersBeyondTheMaximumTransferLengthAreInvalid() {
        // 8 MiB: 2048 blocks of 4 KiB, 16384 of 512 bytes.
        run(LUN_4K, cdb(OperationCode.READ_10, 0, 2048).encode()).good();
        run(LUN_4K, cdb(OperationCode.READ_10, 0, 2049).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(7, 7));
        run(LUN_512, cdb(OperationCode.READ_16, 0, 16385).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(10, 7));
        run(LUN_4K, cdb(OperationCode.READ_12, 0, 0xFFFFFFFFL).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(6, 7));
    }

    @Test
    void dpoAndFuaAreAccepted() {
        byte[] data = random(3, 4096);
        write(LUN_4K, new ReadWriteCdb(OperationCode.WRITE_10, 5, 1, 0, true, true).encode(), data).good();
        assertThat(run(LUN_4K, new ReadWriteCdb(OperationCode.READ_10, 5, 1, 0, true, true).encode()).good().data())
                .isEqualTo(data);
    }

    @Test
    void fuaWritesAreDurableAndOthersAreNotWhileTheCacheIsOn() {
        write(LUN_4K, cdb(OperationCode.WRITE_10, 0, 1).encode(), random(4, 4096)).good();
        assertThat(store4k.durableWrites).hasValue(0);
        write(LUN_4K, new ReadWriteCdb(OperationCode.WRITE_16, 1, 2, 0, false, true).encode(), random(5, 8192)).good();
        assertThat(store4k.durableWrites).hasValue(1);
    }

    @Test
    void aStoreWriteRunsOnlyOnceTheRangeIsFree() {
        // A read and a write of the same blocks from two nexuses: both complete, the data is whole.
        byte[] data = random(6, 16 * 4096);
        write16(LUN_4K, 0, data);
        assertThat(read16(LUN_4K, 0, 16)).isEqualTo(data);
        assertThat(target.unit(LUN_4K).ranges().heldCount()).isZero();
    }

    @Test
    void aCachedReadIsAnsweredOnTheCallersThread() {
        byte[] data = random(8, 16 * 4096);
        write16(LUN_4K, 32, data); // just written: in the page cache
        int before = store4k.inlineReads.get();
        CompletableFuture<ScsiResponse> f = submit(A, LUN_4K,
                new ReadWriteCdb(OperationCode.READ_16, 32, 16, 0, false, false).encode(), null, data.length, true,
                false, new ByteBuf[1]);
        assertThat(f).as("answered before execute returned").isDone();
        assertThat(collect(f).good().data()).isEqualTo(data);
        assertThat(store4k.inlineReads.get() - before).isEqualTo(1);
        assertThat(target.unit(LUN_4K).ranges().heldCount()).isZero();
    }

    @Test
    void aReadOfBlocksHeldByCompareAndWriteWaitsOnTheExecutorInstead() {
        byte[] data = random(9, 4 * 4096);
        write16(LUN_4K, 100, data);
        RangeLock.Held held = target.unit(LUN_4K).ranges().acquire(102, 1, true); // as COMPARE AND WRITE holds it
        CompletableFuture<ScsiResponse> f;
        try {
            f = submit(A, LUN_4K, new ReadWriteCdb(OperationCode.READ_16, 100, 4, 0, false, false).encode(), null,
                    data.length, true, false, new ByteBuf[1]);
            assertThat(f).as("a cached read still may not pass an exclusive holder").isNotDone();
        } finally {
            held.close();
        }
        assertThat(collect(f).good().data()).isEqualTo(data);
    }

    @Test
    void readsLargerThanTheInlineLimitGoToTheExecutor() {
        int blocks = ReadWriteCommands.INLINE_READ_MAX_BYTES / 4096 + 1;
        byte[] data = random(10, blocks * 4096);
        write16(LUN_4K, 0, data);
        int before = store4k.inlineReads.get();
        assertThat(read16(LUN_4K, 0, blocks)).isEqualTo(data);
        assertThat(store4k.inlineReads.get()).isEqualTo(before);
    }

    // ---- data-out that does not match the CDB (libiscsi iSCSIResiduals, test_write10_residuals.c)

    @Test
    void aWriteWithLessDataOutWritesOnlyTheBlocksThatCame() {
        write16(LUN_4K, 0, filled('a', 2 * 4096));
        // Two blocks asked, one sent (EDTL one block): GOOD, only the first block changes.
        send(A, LUN_4K, cdb(OperationCode.WRITE_10, 0, 2).encode(), filled('b', 4096), 4096, false, true).good();
        byte[] back = read16(LUN_4K, 0, 2);
        assertThat(Arrays.copyOf(back, 4096)).containsOnly('b');
        assertThat(Arrays.copyOfRange(back, 4096, 8192)).containsOnly('a');
    }

    @Test
    void aWriteWithMoreDataOutWritesTheTransferLength() {
        write16(LUN_4K, 0, filled('a', 2 * 4096));
        send(A, LUN_4K, cdb(OperationCode.WRITE_10, 0, 1).encode(), filled('b', 2 * 4096), 8192, false, true).good();
        byte[] back = read16(LUN_4K, 0, 2);
        assertThat(Arrays.copyOf(back, 4096)).containsOnly('b');
        assertThat(Arrays.copyOfRange(back, 4096, 8192)).containsOnly('a');
    }

    @Test
    void aWriteWithNoDataOutWritesNothingAndIsGood() {
        send(A, LUN_4K, cdb(OperationCode.WRITE_10, 0, 1).encode(), null, 0, false, true).good();
        assertThat(store4k.writes).hasValue(0);
        // Flagged as a read by the transport: no data-out either.
        send(A, LUN_4K, cdb(OperationCode.WRITE_10, 0, 1).encode(), null, 4096, true, false).good();
        assertThat(store4k.writes).hasValue(0);
    }

    @Test
    void dataOutEndingInsideABlockIsAnInvalidInformationUnit() {
        send(A, LUN_512, cdb(OperationCode.WRITE_10, 0, 1).encode(), new byte[200], 200, false, true)
                .check(AdditionalSense.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);
        assertThat(store512.writes).hasValue(0);
    }

    @Test
    void aReadFlaggedAsAWriteStillReads() {
        write16(LUN_4K, 3, filled(7, 4096));
        Result r = send(A, LUN_4K, cdb(OperationCode.READ_10, 3, 1).encode(), new byte[4096], 4096, false, true).good();
        assertThat(r.data()).containsOnly(7);
    }

    // ---- READ CAPACITY

    @Test
    void readCapacity10And16() {
        byte[] rc10 = run(LUN_512, new byte[] {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}).good().data();
        assertThat(rc10).isEqualTo(new ReadCapacityData(BLOCKS_512 - 1, 512, 0, true, true, 0).encode10());
        byte[] rc16 = run(LUN_4K, new ServiceActionIn16Cdb(0x10, 0, 32).encode()).good().data();
        assertThat(rc16).hasSize(32);
        assertThat(rc16).isEqualTo(new ReadCapacityData(BLOCKS_4K - 1, 4096, 0, true, true, 0).encode16());
        assertThat(rc16[14] & 0xC0).as("LBPME and LBPRZ").isEqualTo(0xC0);
        assertThat(rc16[13] & 0x0F).as("LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT").isZero();
        for (int alloc = 0; alloc < 16; alloc++) {
            assertThat(run(LUN_4K, new ServiceActionIn16Cdb(0x10, 0, alloc).encode()).good().data()).hasSize(alloc);
        }
    }

    // ---- SYNCHRONIZE CACHE and PRE-FETCH

    @ParameterizedTest
    @ValueSource(strings = {"SYNCHRONIZE_CACHE_10", "SYNCHRONIZE_CACHE_16"})
    void synchronizeCacheFlushes(OperationCode op) {
        run(LUN_4K, new CacheRangeCdb(op, 0, 0, false).encode()).good();
        assertThat(store4k.flushes).hasValue(1);
        run(LUN_4K, new CacheRangeCdb(op, 10, 5, false).encode()).good();
        assertThat(store4k.flushes).hasValue(2);
        run(LUN_4K, new CacheRangeCdb(op, BLOCKS_4K, 1, false).encode()).check(AdditionalSense.LBA_OUT_OF_RANGE);
        // IMMED: GOOD once the CDB is valid; the flush still happens.
        run(LUN_4K, new CacheRangeCdb(op, 0, 0, true).encode()).good();
        eventually(() -> assertThat(store4k.flushes).hasValue(3));
    }

    @ParameterizedTest
    @ValueSource(strings = {"PRE_FETCH_10", "PRE_FETCH_16"})
    void preFetchIsGoodWithinTheUnitAndOutOfRangeBeyond(OperationCode op) {
        for (int n = 1; n <= 256; n *= 4) {
            run(LUN_4K, new CacheRangeCdb(op, 0, n, false).encode()).good();
            run(LUN_4K, new CacheRangeCdb(op, BLOCKS_4K - n, n, false).encode()).good();
        }
        run(LUN_4K, new CacheRangeCdb(op, 0, 0, false).encode()).good();
        run(LUN_4K, new CacheRangeCdb(op, 0, 1, true).encode()).good();
        run(LUN_4K, new CacheRangeCdb(op, BLOCKS_4K + 1, 0, false).encode()).check(AdditionalSense.LBA_OUT_OF_RANGE);
        run(LUN_4K, new CacheRangeCdb(op, BLOCKS_4K - 1, 2, false).encode()).check(AdditionalSense.LBA_OUT_OF_RANGE);
    }
}
