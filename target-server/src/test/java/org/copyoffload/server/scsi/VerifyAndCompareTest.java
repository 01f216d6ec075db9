package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import io.netty.buffer.ByteBuf;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CompareAndWriteCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.copyoffload.protocol.scsi.VerifyCdb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** VERIFY, WRITE AND VERIFY and COMPARE AND WRITE. */
class VerifyAndCompareTest extends ScsiTestBase {
    static byte[] verify(OperationCode op, long lba, long blocks, int bytchk) {
        return new VerifyCdb(op, lba, blocks, 0, false, bytchk).encode();
    }

    @ParameterizedTest
    @ValueSource(strings = {"VERIFY_10", "VERIFY_12", "VERIFY_16"})
    void verifyInEveryByteCheckMode(OperationCode op) {
        byte[] data = random(11, 8 * 512);
        write16(LUN_512, 40, data);
        run(LUN_512, verify(op, 40, 8, 0b00)).good();
        write(LUN_512, verify(op, 40, 8, 0b01), data).good();
        byte[] wrong = data.clone();
        wrong[3 * 512 + 17] ^= 0x5A;
        SenseData s = write(LUN_512, verify(op, 40, 8, 0b01), wrong)
                .check(AdditionalSense.MISCOMPARE_DURING_VERIFY_OPERATION);
        assertThat(s.information()).hasValue(3 * 512 + 17);
        // 11b: one block compared with every block.
        write16(LUN_512, 60, filled(0x33, 4 * 512));
        write(LUN_512, verify(op, 60, 4, 0b11), filled(0x33, 512)).good();
        write16(LUN_512, 62, filled(0x34, 512));
        assertThat(write(LUN_512, verify(op, 60, 4, 0b11), filled(0x33, 512))
                .check(AdditionalSense.MISCOMPARE_DURING_VERIFY_OPERATION).information()).hasValue(2 * 512);
    }

    @Test
    void verifyOfDeallocatedBlocksComparesTheirZeros() {
        write(LUN_4K, verify(OperationCode.VERIFY_16, 1000, 2, 0b01), new byte[8192]).good();
    }

    @Test
    void verifyErrors() {
        for (int protect = 1; protect < 8; protect++) {
            run(LUN_4K, new VerifyCdb(OperationCode.VERIFY_10, 0, 1, protect, false, 0).encode())
                    .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 7));
        }
        run(LUN_4K, verify(OperationCode.VERIFY_10, 0, 1, 0b10))
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 2));
        run(LUN_4K, verify(OperationCode.VERIFY_16, BLOCKS_4K - 1, 2, 0)).check(AdditionalSense.LBA_OUT_OF_RANGE);
        run(LUN_4K, verify(OperationCode.VERIFY_10, 0, 0, 0)).good();
        run(LUN_4K, verify(OperationCode.VERIFY_10, 0, 2049, 0))
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(7, 7));
        write(LUN_4K, verify(OperationCode.VERIFY_10, 0, 2, 0b01), new byte[4096])
                .check(AdditionalSense.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);
        store4k.failReads = true;
        run(LUN_4K, verify(OperationCode.VERIFY_10, 0, 1, 0)).check(AdditionalSense.UNRECOVERED_READ_ERROR);
    }

    @ParameterizedTest
    @ValueSource(strings = {"WRITE_AND_VERIFY_10", "WRITE_AND_VERIFY_12", "WRITE_AND_VERIFY_16"})
    void writeAndVerifyWritesDurablyAndChecks(OperationCode op) {
        byte[] data = random(12, 3 * 4096);
        write(LUN_4K, verify(op, 7, 3, 0b01), data).good();
        assertThat(read16(LUN_4K, 7, 3)).isEqualTo(data);
        write(LUN_4K, new VerifyCdb(op, 7, 3, 0, true, 0b00).encode(), data).good();
        assertThat(store4k.durableWrites).hasValue(2);
        write(LUN_4K, verify(op, 7, 1, 0b11), new byte[4096])
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 2));
        write(LUN_4K, new VerifyCdb(op, 7, 1, 2, false, 0).encode(), new byte[4096])
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 7));
        write(LUN_4K, verify(op, BLOCKS_4K, 1, 0), new byte[4096]).check(AdditionalSense.LBA_OUT_OF_RANGE);
        // Residuals as for WRITE: less data-out writes the blocks that came.
        send(A, LUN_4K, verify(op, 20, 2, 0b01), filled(9, 4096), 4096, false, true).good();
        assertThat(read16(LUN_4K, 20, 2)).startsWith(filled(9, 4096));
    }

    // ---- COMPARE AND WRITE

    static byte[] caw(long lba, int blocks) {
        return new CompareAndWriteCdb(lba, blocks, 0, false, false).encode();
    }

    @Test
    void compareAndWriteWritesWhenEqual() {
        for (long lun : new long[] {LUN_4K, LUN_512}) {
            int bs = blockSize(lun);
            byte[] old = filled('A', 3 * bs);
            byte[] next = filled('B', 3 * bs);
            write16(lun, 10, old);
            write(lun, caw(10, 3), concat(old, next)).good();
            assertThat(read16(lun, 10, 3)).isEqualTo(next);
        }
    }

    @Test
    void compareAndWriteMiscompareReportsTheOffsetAndWritesNothing() {
        byte[] old = filled('A', 2 * 4096);
        write16(LUN_4K, 10, old);
        byte[] compare = old.clone();
        compare[2 * 4096 - 27] = 'C';
        SenseData s = write(LUN_4K, caw(10, 2), concat(compare, filled('B', 2 * 4096)))
                .check(AdditionalSense.MISCOMPARE_DURING_VERIFY_OPERATION);
        assertThat(s.information()).hasValue(2 * 4096 - 27);
        assertThat(read16(LUN_4K, 10, 2)).isEqualTo(old);
    }

    @Test
    void compareAndWriteErrors() {
        // MAXIMUM COMPARE AND WRITE LENGTH: 255 blocks, the field's limit; 256 blocks wrap the field to 0, and data
        // for a CAW of 0 blocks is an invalid field (libiscsi CompareAndWrite.Simple).
        write(LUN_4K, caw(0, 0), new byte[2 * 256 * 4096])
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(13, 7));
        write(LUN_512, caw(0, 255), new byte[2 * 255 * 512]).good();
        write(LUN_4K, caw(BLOCKS_4K - 1, 2), new byte[4 * 4096]).check(AdditionalSense.LBA_OUT_OF_RANGE);
        write(LUN_4K, new CompareAndWriteCdb(0, 1, 1, false, false).encode(), new byte[8192])
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 7));
        // Data-out of other than twice the blocks (libiscsi CompareAndWrite.InvalidDataOutSize).
        write(LUN_4K, caw(0, 1), new byte[4 * 4096]).check(AdditionalSense.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);
        write(LUN_4K, caw(0, 3), new byte[4 * 4096]).check(AdditionalSense.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);
        // Zero blocks: nothing compared or written, GOOD.
        send(A, LUN_4K, caw(0, 0), null, 0, false, false).good();
    }

    @Test
    void compareAndWriteWithFuaIsDurable() {
        write(LUN_4K, new CompareAndWriteCdb(0, 1, 0, true, true).encode(), new byte[8192]).good();
        assertThat(store4k.durableWrites).hasValue(1);
    }

    /**
     * COMPARE AND WRITE as compare-and-swap: many concurrent increments of one counter block from two nexuses,
     * each retried after a miscompare. Atomicity means no increment is lost: the final value is the number of
     * successful commands.
     */
    @Test
    void concurrentCompareAndWritesNeverLoseAnUpdate() throws Exception {
        write16(LUN_512, 500, new byte[512]);
        int workers = 8;
        int increments = 25;
        AtomicInteger successes = new AtomicInteger();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            ItNexus nexus = w % 2 == 0 ? A : B;
            all.add(CompletableFuture.runAsync(() -> {
                for (int done = 0; done < increments; ) {
                    byte[] current = run(nexus, LUN_512, new org.copyoffload.protocol.scsi.ReadWriteCdb(
                            OperationCode.READ_16, 500, 1, 0, false, false).encode()).good().data();
                    int value = java.nio.ByteBuffer.wrap(current).getInt();
                    byte[] next = new byte[512];
                    java.nio.ByteBuffer.wrap(next).putInt(value + 1);
                    Result r = write(nexus, LUN_512, caw(500, 1), concat(current, next));
                    if (r.status() == ScsiStatus.GOOD) {
                        successes.incrementAndGet();
                        done++;
                    } else {
                        r.check(AdditionalSense.MISCOMPARE_DURING_VERIFY_OPERATION);
                    }
                }
            }, executor));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, java.util.concurrent.TimeUnit.SECONDS);
        int value = java.nio.ByteBuffer.wrap(read16(LUN_512, 500, 1)).getInt();
        assertThat(successes).hasValue(workers * increments);
        assertThat(value).isEqualTo(workers * increments);
    }

    @Test
    void aWriteWaitsWhileACompareAndWriteHoldsItsRange() throws Exception {
        write16(LUN_4K, 0, filled(1, 4096));
        store4k.readGate = new java.util.concurrent.CountDownLatch(1);
        store4k.readStarted = new java.util.concurrent.CountDownLatch(1);
        ByteBuf[] owned1 = new ByteBuf[1];
        ByteBuf[] owned2 = new ByteBuf[1];
        CompletableFuture<ScsiResponse> cas = submit(A, LUN_4K, caw(0, 1), concat(filled(1, 4096), filled(2, 4096)),
                8192, false, true, owned1);
        try {
            assertThat(store4k.readStarted.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            store4k.readStarted = null;
            CompletableFuture<ScsiResponse> w = submit(B, LUN_4K, new org.copyoffload.protocol.scsi.ReadWriteCdb(
                    OperationCode.WRITE_10, 0, 1, 0, false, false).encode(), filled(3, 4096), 4096, false, true,
                    owned2);
            Thread.sleep(100);
            assertThat(w).isNotDone(); // blocked by the exclusive range
            store4k.readGate.countDown();
            collect(cas).good();
            collect(w).good();
        } finally {
            store4k.readGate = null;
            owned1[0].release();
            if (owned2[0] != null) {
                owned2[0].release();
            }
        }
        assertThat(read16(LUN_4K, 0, 1)).containsOnly(3); // the write came after the compare and write
    }
}
