package org.copyoffload.server.scsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CacheRangeCdb;
import org.copyoffload.protocol.scsi.CdbField;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.CompareAndWriteCdb;
import org.copyoffload.protocol.scsi.ReadCapacityData;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ServiceActionIn16Cdb;
import org.copyoffload.protocol.scsi.VerifyCdb;

/**
 * READ, WRITE, VERIFY, WRITE AND VERIFY, COMPARE AND WRITE, SYNCHRONIZE CACHE, PRE-FETCH and READ CAPACITY (SBC-4
 * 5). Fields are checked on the caller's thread in this order: protection fields (no protection information:
 * any nonzero RDPROTECT/WRPROTECT/VRPROTECT is INVALID FIELD IN CDB), other field values, the transfer length
 * against MAXIMUM TRANSFER LENGTH, then the LBA range; the store is used on the I/O executor.
 *
 * <p>Data-out that does not match the CDB (iSCSI's Expected Data Transfer Length differs from the transfer
 * length): a write writes the whole blocks it received, at most the transfer length, and completes GOOD, the
 * transport reporting the residual; data-out ending inside a block is INVALID FIELD IN COMMAND INFORMATION UNIT.
 * This is what libiscsi's iSCSIResiduals tests ask for (test_write10_residuals.c: EDTL 0 or one block for a two
 * block WRITE is GOOD with an overflow and writes only the data sent; EDTL 200 for one block may be GOOD or that
 * CHECK CONDITION). A read always returns the blocks the CDB asks for and the transport sends what the initiator
 * expects; a READ sent with the W bit instead of R still completes GOOD (test_read10_invalid.c).
 */
final class ReadWriteCommands {
    private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** Reads up to this size may run inline on the caller's thread when cached; larger ones always go to the executor. */
    static final int INLINE_READ_MAX_BYTES = 256 << 10;

    private ReadWriteCommands() {
    }

    static void checkNoProtection(int protect, CdbField field) {
        if (protect != 0) {
            throw CheckCondition.invalidField(field, protect, "the logical unit has no protection information");
        }
    }

    static void checkTransferLength(LogicalUnit u, long blocks, CdbField field) {
        long max = u.limits().maxTransferBlocks(u.blockSize());
        if (Long.compareUnsigned(blocks, max) > 0) {
            throw CheckCondition.invalidField(field, blocks, "exceeds MAXIMUM TRANSFER LENGTH " + max);
        }
    }

    // ---------------------------------------------------------------- READ

    static CompletableFuture<ScsiResponse> read(Request r) {
        ReadWriteCdb c = ReadWriteCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        checkNoProtection(c.protect(), ReadWriteCdb.PROTECT);
        checkTransferLength(u, c.transferLength(), ReadWriteCdb.transferLengthField(c.opcode()));
        u.checkRange(c.lba(), c.transferLength());
        if (c.transferLength() == 0) {
            return Responses.GOOD;
        }
        if (u.isZoned()) {
            ZonedCommands.checkRead(u, c.lba(), c.transferLength());
        }
        int bytes = (int) (c.transferLength() * u.blockSize());
        long offset = u.offset(c.lba());
        // Allocated on the caller's thread (an event loop with a warm pool cache), filled on the I/O executor.
        ByteBuf buf = ALLOC.directBuffer(bytes);
        if (bytes <= INLINE_READ_MAX_BYTES && readInline(u, c, offset, buf, bytes)) {
            return CompletableFuture.completedFuture(ScsiResponse.good(buf));
        }
        return u.submit(c.opcode() + " of " + c.transferLength() + " blocks at LBA " + c.lba(),
                AdditionalSense.UNRECOVERED_READ_ERROR, () -> {
                    boolean handedOver = false;
                    try (RangeLock.Held _ = u.ranges().acquire(c.lba(), c.transferLength(), false)) {
                        u.store().read(offset, buf.nioBuffer(0, bytes));
                        buf.writerIndex(bytes);
                        u.blocksRead.add(c.transferLength());
                        handedOver = true;
                        return ScsiResponse.good(buf);
                    } finally {
                        if (!handedOver) {
                            buf.release();
                        }
                    }
                }, buf::release);
    }

    /**
     * Reads on the caller's thread when the blocks are in the page cache and no COMPARE AND WRITE holds them: for a
     * small read the hand-over to the I/O executor and back costs more than the copy (two thread switches against a
     * few microseconds), and the caller must not wait, so nothing here blocks. False leaves the read to the executor.
     */
    private static boolean readInline(LogicalUnit u, ReadWriteCdb c, long offset, ByteBuf buf, int bytes) {
        RangeLock.Held held = u.ranges().tryAcquire(c.lba(), c.transferLength(), false);
        if (held == null) {
            return false;
        }
        try (held) {
            if (!u.store().readIfCached(offset, buf.nioBuffer(0, bytes))) {
                return false;
            }
        } catch (IOException | RuntimeException e) {
            return false; // the executor's read reports what is wrong
        }
        buf.writerIndex(bytes);
        u.blocksRead.add(c.transferLength());
        return true;
    }

    // ---------------------------------------------------------------- WRITE

    static CompletableFuture<ScsiResponse> write(Request r) {
        ReadWriteCdb c = ReadWriteCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        checkNoProtection(c.protect(), ReadWriteCdb.PROTECT);
        checkTransferLength(u, c.transferLength(), ReadWriteCdb.transferLengthField(c.opcode()));
        u.checkRange(c.lba(), c.transferLength());
        long blocks = blocksReceived(r, c.opcode().name(), c.transferLength());
        if (blocks == 0) {
            return Responses.GOOD;
        }
        boolean durable = u.durable(c.fua());
        String what = c.opcode() + " of " + blocks + " blocks at LBA " + c.lba();
        if (u.isZoned()) {
            // at the write pointer; the reservation's completion makes data and zone metadata durable
            return ZonedCommands.write(u, what, c.lba(), blocks, durable, () -> {
                writeBlocks(r, u, c.lba(), blocks, false);
                return ScsiResponse.GOOD;
            });
        }
        return u.submit(what, AdditionalSense.WRITE_ERROR, () -> {
            writeBlocks(r, u, c.lba(), blocks, durable);
            return ScsiResponse.GOOD;
        });
    }

    /**
     * How many blocks of data-out to write for a transfer length of {@code blocks}: all of them when enough came,
     * else the whole blocks received (the transport reports the overflow residual).
     */
    static long blocksReceived(Request r, String command, long blocks) {
        int blockSize = r.unit().blockSize();
        int received = r.dataOutLength();
        long wanted = blocks * blockSize;
        if (received >= wanted) {
            return blocks;
        }
        if (received % blockSize != 0) {
            throw DataOut.lengthMismatch(command, wanted, received);
        }
        return received / blockSize;
    }

    private static void writeBlocks(Request r, LogicalUnit u, long lba, long blocks, boolean durable)
            throws IOException {
        ByteBuf data = r.dataOut();
        try (RangeLock.Held _ = u.ranges().acquire(lba, blocks, false)) {
            u.written(lba, blocks);
            DataOut.write(u.store(), u.offset(lba), data, data.readerIndex(), (int) (blocks * u.blockSize()), durable);
        }
        u.blocksWritten.add(blocks);
    }

    // ---------------------------------------------------------------- VERIFY / WRITE AND VERIFY

    /**
     * VERIFY (SBC-4 5.37): BYTCHK 00b reads the blocks (a read error is the miscompare of a disk); 01b compares
     * them with as many blocks of data-out; 11b with one block of data-out repeated. MISCOMPARE reports in
     * INFORMATION the offset of the first differing byte in the (repeated) data-out. Deallocated blocks compare
     * as their zeros (VBULS = 1 in the Block Device Characteristics page).
     */
    static CompletableFuture<ScsiResponse> verify(Request r) {
        VerifyCdb c = VerifyCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        checkNoProtection(c.protect(), VerifyCdb.PROTECT);
        if (c.bytchk() == 0b10) {
            throw CheckCondition.invalidField(VerifyCdb.BYTCHK, c.bytchk(), "reserved");
        }
        checkTransferLength(u, c.length(), ReadWriteCdb.transferLengthField(c.opcode()));
        u.checkRange(c.lba(), c.length());
        if (c.length() == 0) {
            return Responses.GOOD;
        }
        if (u.isZoned()) {
            ZonedCommands.checkRead(u, c.lba(), c.length());
        }
        int bytes = (int) (c.length() * u.blockSize());
        int needed = switch (c.bytchk()) {
            case VerifyCdb.BYTCHK_COMPARE -> bytes;
            case VerifyCdb.BYTCHK_COMPARE_ONE_BLOCK -> u.blockSize();
            default -> 0;
        };
        if (r.dataOutLength() < needed) {
            throw DataOut.lengthMismatch(c.opcode().name(), needed, r.dataOutLength());
        }
        return u.submit(c.opcode() + " of " + c.length() + " blocks at LBA " + c.lba(),
                AdditionalSense.UNRECOVERED_READ_ERROR, () -> {
                    ByteBuffer actual = readRange(u, c.lba(), c.length());
                    u.blocksRead.add(c.length());
                    if (c.bytchk() == VerifyCdb.BYTCHK_COMPARE) {
                        compare(r.dataOut(), r.dataOut().readerIndex(), actual, bytes, 0);
                    } else if (c.bytchk() == VerifyCdb.BYTCHK_COMPARE_ONE_BLOCK) {
                        for (int at = 0; at < bytes; at += u.blockSize()) {
                            compare(r.dataOut(), r.dataOut().readerIndex(),
                                    actual.slice(at, u.blockSize()), u.blockSize(), at);
                        }
                    }
                    return ScsiResponse.GOOD;
                });
    }

    /**
     * WRITE AND VERIFY (SBC-4 5.43): the write reaches the medium (it is verified there, so it is durable whatever
     * WCE says), then the blocks are read back, and with BYTCHK 01b compared with the data-out. BYTCHK 10b and 11b
     * are reserved for this command.
     */
    static CompletableFuture<ScsiResponse> writeAndVerify(Request r) {
        VerifyCdb c = VerifyCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        checkNoProtection(c.protect(), VerifyCdb.PROTECT);
        if (c.bytchk() != VerifyCdb.BYTCHK_MEDIUM && c.bytchk() != VerifyCdb.BYTCHK_COMPARE) {
            throw CheckCondition.invalidField(VerifyCdb.BYTCHK, c.bytchk(), "reserved for WRITE AND VERIFY");
        }
        checkTransferLength(u, c.length(), ReadWriteCdb.transferLengthField(c.opcode()));
        u.checkRange(c.lba(), c.length());
        long blocks = blocksReceived(r, c.opcode().name(), c.length());
        if (blocks == 0) {
            return Responses.GOOD;
        }
        int bytes = (int) (blocks * u.blockSize());
        String what = c.opcode() + " of " + blocks + " blocks at LBA " + c.lba();
        ZonedCommands.ZonedWork work = () -> {
            writeBlocks(r, u, c.lba(), blocks, !u.isZoned()); // zoned: the reservation's completion syncs
            ByteBuffer actual;
            try {
                actual = readRange(u, c.lba(), blocks);
            } catch (IOException e) {
                u.mediaErrors.increment();
                throw new CheckCondition(AdditionalSense.UNRECOVERED_READ_ERROR, "verify read: " + e);
            }
            if (c.bytchk() == VerifyCdb.BYTCHK_COMPARE) {
                compare(r.dataOut(), r.dataOut().readerIndex(), actual, bytes, 0);
            }
            return ScsiResponse.GOOD;
        };
        if (u.isZoned()) {
            return ZonedCommands.write(u, what, c.lba(), blocks, true, work);
        }
        return u.submit(what, AdditionalSense.WRITE_ERROR, work::run);
    }

    /** The blocks in a heap buffer (verification reads at most MAXIMUM TRANSFER LENGTH: 1 MiB by default). */
    private static ByteBuffer readRange(LogicalUnit u, long lba, long blocks) throws IOException {
        ByteBuffer actual = ByteBuffer.allocate((int) (blocks * u.blockSize()));
        try (RangeLock.Held _ = u.ranges().acquire(lba, blocks, false)) {
            u.store().read(u.offset(lba), actual);
        }
        return actual.flip();
    }

    private static void compare(ByteBuf expected, int from, ByteBuffer actual, int length, long base) {
        long at = DataOut.mismatch(expected, from, actual, length);
        if (at >= 0) {
            throw CheckCondition.miscompare(base + at);
        }
    }

    // ---------------------------------------------------------------- COMPARE AND WRITE

    /**
     * COMPARE AND WRITE (SBC-4 5.3): with the range held exclusively, the blocks are read and compared with the
     * first half of the data-out; equal, the second half is written (durably with FUA or WCE = 0); not, MISCOMPARE
     * with the offset of the first differing byte and nothing written. The data-out must be exactly twice the
     * blocks: anything else is INVALID FIELD IN COMMAND INFORMATION UNIT (libiscsi CompareAndWrite
     * InvalidDataOutSize wants ILLEGAL REQUEST for both too little and too much).
     */
    static CompletableFuture<ScsiResponse> compareAndWrite(Request r) {
        CompareAndWriteCdb c = CompareAndWriteCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        checkNoProtection(c.protect(), CompareAndWriteCdb.PROTECT);
        int max = u.limits().maxCompareAndWriteBlocks(u.blockSize());
        if (c.blocks() > max) {
            throw CheckCondition.invalidField(CompareAndWriteCdb.BLOCKS, c.blocks(),
                    "exceeds MAXIMUM COMPARE AND WRITE LENGTH " + max);
        }
        u.checkRange(c.lba(), c.blocks());
        if (c.blocks() == 0) {
            if (r.dataOutLength() != 0) {
                // Data for blocks the CDB does not count (256 blocks wrap the one-byte field to 0): the field is wrong.
                throw CheckCondition.invalidField(CompareAndWriteCdb.BLOCKS, 0,
                        "NUMBER OF LOGICAL BLOCKS 0 with " + r.dataOutLength() + " bytes of data-out");
            }
            return Responses.GOOD; // no blocks are compared or written: not an error
        }
        int half = c.blocks() * u.blockSize();
        if (r.dataOutLength() != 2 * half) {
            throw DataOut.lengthMismatch("COMPARE AND WRITE", 2L * half, r.dataOutLength());
        }
        boolean durable = u.durable(c.fua());
        return u.submit("COMPARE AND WRITE of " + c.blocks() + " blocks at LBA " + c.lba(),
                AdditionalSense.WRITE_ERROR, () -> {
                    ByteBuf data = r.dataOut();
                    try (RangeLock.Held _ = u.ranges().acquire(c.lba(), c.blocks(), true)) {
                        ByteBuffer actual = ByteBuffer.allocate(half);
                        try {
                            u.store().read(u.offset(c.lba()), actual);
                        } catch (IOException e) {
                            u.mediaErrors.increment();
                            throw new CheckCondition(AdditionalSense.UNRECOVERED_READ_ERROR, "compare read: " + e);
                        }
                        compare(data, data.readerIndex(), actual.flip(), half, 0);
                        u.written(c.lba(), c.blocks());
                        DataOut.write(u.store(), u.offset(c.lba()), data, data.readerIndex() + half, half, durable);
                    }
                    u.blocksRead.add(c.blocks());
                    u.blocksWritten.add(c.blocks());
                    return ScsiResponse.GOOD;
                });
    }

    // ---------------------------------------------------------------- SYNCHRONIZE CACHE / PRE-FETCH

    /**
     * SYNCHRONIZE CACHE (SBC-4 5.27): the range is checked, then the whole store is flushed (the page cache has no
     * cheaper range flush that is also durable for metadata). With IMMED the status is GOOD once the CDB is valid
     * and the flush runs on; its failure can then only be logged (no deferred errors are reported).
     */
    static CompletableFuture<ScsiResponse> synchronizeCache(Request r) {
        CacheRangeCdb c = CacheRangeCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        u.checkRange(c.lba(), c.blocks());
        CompletableFuture<ScsiResponse> flush = u.submit(c.opcode().name(), AdditionalSense.WRITE_ERROR, () -> {
            u.syncWrites();
            return ScsiResponse.GOOD;
        });
        return c.immed() ? Responses.GOOD : flush;
    }

    /**
     * PRE-FETCH (SBC-4 5.8): the range is checked and up to MAXIMUM TRANSFER LENGTH of it read into the page cache.
     * The status is GOOD, not CONDITION MET: the page cache is not ours to promise room in (SBC-4: GOOD when the
     * cache cannot take all the blocks), and libiscsi's Prefetch tests take only GOOD.
     */
    static CompletableFuture<ScsiResponse> preFetch(Request r) {
        CacheRangeCdb c = CacheRangeCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        u.checkRange(c.lba(), c.blocks());
        long remaining = u.blockCount() - c.lba();
        long blocks = Math.min(c.blocks() == 0 ? remaining : c.blocks(), u.limits().maxTransferBlocks(u.blockSize()));
        if (blocks == 0) {
            return Responses.GOOD;
        }
        CompletableFuture<ScsiResponse> read = u.submit(c.opcode().name(), AdditionalSense.UNRECOVERED_READ_ERROR,
                () -> {
                    if (!u.store().isCached(u.offset(c.lba()), blocks * u.blockSize())) {
                        readRange(u, c.lba(), blocks);
                    }
                    return ScsiResponse.GOOD;
                });
        return c.immed() ? Responses.GOOD : read;
    }

    // ---------------------------------------------------------------- READ CAPACITY

    static ReadCapacityData capacity(LogicalUnit u) {
        // LBPME and LBPRZ: thin provisioned, and a deallocated block (a hole) reads as zeros. A zoned unit has no
        // UNMAP (its blocks are deallocated by RESET WRITE POINTER), so no LBPME.
        return new ReadCapacityData(u.blockCount() - 1, u.blockSize(), 0, !u.isZoned(), true, 0);
    }

    /** READ CAPACITY (10) (SBC-4 5.21): the obsolete LBA and PMI fields are ignored. */
    static CompletableFuture<ScsiResponse> readCapacity10(Request r) {
        return Responses.dataIn(capacity(r.unit()).encode10(), ReadCapacityData.LENGTH_10);
    }

    /** READ CAPACITY (16) (SBC-4 5.20): cut to the allocation length, which may be anything (0 included). */
    static CompletableFuture<ScsiResponse> readCapacity16(Request r) {
        ServiceActionIn16Cdb c = ServiceActionIn16Cdb.decode(r.cdb());
        return Responses.dataIn(capacity(r.unit()).encode16(), c.allocationLength());
    }
}
