package org.copyoffload.server.scsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.LbaStatusDescriptor;
import org.copyoffload.protocol.scsi.ServiceActionIn16Cdb;
import org.copyoffload.protocol.scsi.UnmapCdb;
import org.copyoffload.protocol.scsi.UnmapParameterList;
import org.copyoffload.protocol.scsi.WriteSameCdb;

/**
 * Logical block provisioning (SBC-4 4.7): WRITE SAME with and without UNMAP, UNMAP and GET LBA STATUS. The unit is
 * thin provisioned (LBPME = 1) over a sparse file: deallocating punches a hole, which reads as zeros (LBPRZ = 1).
 * There is no anchored state (ANC_SUP = 0), so ANCHOR is refused.
 */
final class ProvisioningCommands {
    /** The most GET LBA STATUS descriptors one command returns; the initiator asks again from the last one's end. */
    static final int MAX_LBA_STATUS_DESCRIPTORS = 64;
    /** How many store extents one descriptor may merge before it is cut (each is an lseek pair). */
    private static final int MAX_EXTENTS_PER_DESCRIPTOR = 64;

    private ProvisioningCommands() {
    }

    // ---------------------------------------------------------------- WRITE SAME

    /**
     * WRITE SAME (10)/(16) (SBC-4 5.46, 5.47). Checks, in order: WRPROTECT; ANCHOR (no anchored state); the
     * NUMBER OF LOGICAL BLOCKS against MAXIMUM WRITE SAME LENGTH; the LBA range; zero blocks, refused because
     * WSNZ = 1 (after the range, so a zero-block command past the end is still LBA OUT OF RANGE as libiscsi's
     * ZeroBlocks tests want); then the data-out, which must be exactly one block unless NDOB says there is none.
     *
     * <p>A block of zeros is written as zeros without moving data, and with UNMAP deallocated (holes; a partial
     * filesystem block is zeroed in place), so it reads back as zeros either way; any other block is written
     * repeatedly. Durable when WCE = 0.
     */
    static CompletableFuture<ScsiResponse> writeSame(Request r) {
        WriteSameCdb c = WriteSameCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        ReadWriteCommands.checkNoProtection(c.protect(), WriteSameCdb.PROTECT);
        if (c.anchor()) {
            throw CheckCondition.invalidField(WriteSameCdb.ANCHOR, 1, "anchored LBAs are not supported (ANC_SUP = 0)");
        }
        long max = u.limits().maxWriteSameBlocks();
        if (Long.compareUnsigned(c.blocks(), max) > 0) {
            throw CheckCondition.invalidField(WriteSameCdb.blocksField(c.opcode()), c.blocks(),
                    "exceeds MAXIMUM WRITE SAME LENGTH " + max);
        }
        u.checkRange(c.lba(), c.blocks());
        if (c.blocks() == 0) {
            throw CheckCondition.invalidField(WriteSameCdb.blocksField(c.opcode()), 0,
                    "WSNZ = 1: a WRITE SAME of zero blocks is not supported");
        }
        int blockSize = u.blockSize();
        boolean zeros;
        if (c.ndob()) {
            zeros = true;
        } else {
            if (r.dataOutLength() != blockSize) {
                throw DataOut.lengthMismatch(c.opcode().name(), blockSize, r.dataOutLength());
            }
            zeros = isZero(r.dataOut(), r.dataOut().readerIndex(), blockSize);
        }
        boolean durable = u.durable(false);
        long offset = u.offset(c.lba());
        long bytes = c.blocks() * blockSize;
        return u.submit(c.opcode() + " of " + c.blocks() + " blocks at LBA " + c.lba() + (c.unmap() ? " (UNMAP)" : ""),
                AdditionalSense.WRITE_ERROR, () -> {
                    try (RangeLock.Held _ = u.ranges().acquire(c.lba(), c.blocks(), false)) {
                        u.written(c.lba(), c.blocks());
                        if (zeros) {
                            u.store().writeZeroes(offset, bytes, c.unmap(), durable);
                        } else {
                            writePattern(u.store(), offset, bytes, r.dataOut(), blockSize, durable);
                        }
                    }
                    u.blocksWritten.add(c.blocks());
                    return ScsiResponse.GOOD;
                });
    }

    static boolean isZero(ByteBuf data, int from, int length) {
        for (int i = 0; i < length; i++) {
            if (data.getByte(from + i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** The block repeated over {@code bytes}, written through a buffer of at most 1 MiB of copies. */
    private static void writePattern(BlockStore store, long offset, long bytes, ByteBuf block, int blockSize,
                                     boolean durable) throws IOException {
        int chunk = (int) Math.min(bytes, Math.max(blockSize, (1 << 20) / blockSize * blockSize));
        ByteBuf pattern = PooledByteBufAllocator.DEFAULT.directBuffer(chunk);
        try {
            while (pattern.writerIndex() < chunk) {
                pattern.writeBytes(block, block.readerIndex(), blockSize);
            }
            for (long done = 0; done < bytes; ) {
                int n = (int) Math.min(chunk, bytes - done);
                store.write(offset + done, pattern.nioBuffer(0, n), false);
                done += n;
            }
            if (durable) {
                store.flush();
            }
        } finally {
            pattern.release();
        }
    }

    // ---------------------------------------------------------------- UNMAP

    /**
     * UNMAP (SBC-4 5.30). A PARAMETER LIST LENGTH of zero does nothing; otherwise the list (as much of it as came:
     * the transport reports a shortfall) is checked whole before anything is deallocated: descriptor count against
     * MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT and the sum of blocks against MAXIMUM UNMAP LBA COUNT (INVALID FIELD IN
     * PARAMETER LIST), every range (LBA OUT OF RANGE). Zero-block descriptors are fine anywhere up to the capacity.
     */
    static CompletableFuture<ScsiResponse> unmap(Request r) {
        UnmapCdb c = UnmapCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        if (c.anchor()) {
            throw CheckCondition.invalidField(UnmapCdb.ANCHOR, 1, "anchored LBAs are not supported (ANC_SUP = 0)");
        }
        if (c.parameterListLength() == 0) {
            return Responses.GOOD;
        }
        int length = Math.min(c.parameterListLength(), r.dataOutLength());
        UnmapParameterList list = UnmapParameterList.decode(length == 0 ? new byte[0] : r.dataOutBytes(length), length);
        Limits limits = u.limits();
        if (list.descriptors().size() > limits.maxUnmapDescriptors()) {
            throw CheckCondition.invalidParameter("UNMAP BLOCK DESCRIPTOR DATA LENGTH", 2, 7,
                    list.descriptors().size(), "descriptors exceed MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT "
                            + limits.maxUnmapDescriptors());
        }
        long total = 0;
        List<UnmapParameterList.Descriptor> work = new ArrayList<>();
        for (UnmapParameterList.Descriptor d : list.descriptors()) {
            total += d.blocks();
            if (total > limits.maxUnmapLbaCount()) {
                throw CheckCondition.invalidParameter("NUMBER OF LOGICAL BLOCKS", d.offset() + 8, 7, d.blocks(),
                        "the descriptors' blocks exceed MAXIMUM UNMAP LBA COUNT " + limits.maxUnmapLbaCount());
            }
            u.checkRange(d.lba(), d.blocks());
            if (d.blocks() > 0) {
                work.add(d);
            }
        }
        if (work.isEmpty()) {
            return Responses.GOOD;
        }
        boolean durable = u.durable(false);
        return u.submit("UNMAP of " + total + " blocks in " + work.size() + " ranges", AdditionalSense.WRITE_ERROR,
                () -> {
                    for (UnmapParameterList.Descriptor d : work) {
                        try (RangeLock.Held _ = u.ranges().acquire(d.lba(), d.blocks(), false)) {
                            u.written(d.lba(), d.blocks());
                            u.store().writeZeroes(u.offset(d.lba()), d.blocks() * u.blockSize(), true, durable);
                        }
                    }
                    return ScsiResponse.GOOD;
                });
    }

    // ---------------------------------------------------------------- GET LBA STATUS

    /**
     * GET LBA STATUS (SBC-4 5.5): from the starting LBA, runs of mapped and deallocated blocks as the store's holes
     * show them, as many descriptors as the allocation length holds (at least one, at most 64). A block is
     * deallocated only if all of it lies in a hole; a block holding any allocated byte is mapped. A starting LBA
     * at or past the capacity is LBA OUT OF RANGE.
     */
    static CompletableFuture<ScsiResponse> getLbaStatus(Request r) {
        ServiceActionIn16Cdb c = ServiceActionIn16Cdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        if (Long.compareUnsigned(c.lba(), u.blockCount()) >= 0) {
            throw CheckCondition.lbaOutOfRange(c.lba(), 1, u.blockCount());
        }
        long room = (c.allocationLength() - LbaStatusDescriptor.HEADER) / LbaStatusDescriptor.LENGTH;
        int wanted = (int) Math.max(1, Math.min(MAX_LBA_STATUS_DESCRIPTORS, room));
        return u.submit("GET LBA STATUS at LBA " + c.lba(), AdditionalSense.UNRECOVERED_READ_ERROR, () -> {
            List<LbaStatusDescriptor> descriptors = lbaStatus(u.store(), u.blockSize(), u.blockCount(), c.lba(),
                    wanted);
            byte[] data = LbaStatusDescriptor.encode(descriptors);
            int n = (int) Math.min(data.length, c.allocationLength());
            return n == 0 ? ScsiResponse.GOOD : ScsiResponse.good(Unpooled.wrappedBuffer(data, 0, n));
        });
    }

    /** Up to {@code max} descriptors from {@code lba}, each the longest run the store's extents show (capped). */
    static List<LbaStatusDescriptor> lbaStatus(BlockStore store, int blockSize, long blockCount, long lba, int max)
            throws IOException {
        List<LbaStatusDescriptor> out = new ArrayList<>();
        long at = lba;
        while (at < blockCount && out.size() < max) {
            LbaStatusDescriptor d = run(store, blockSize, blockCount, at);
            out.add(d);
            at += d.blocks();
        }
        return out;
    }

    private static LbaStatusDescriptor run(BlockStore store, int blockSize, long blockCount, long lba)
            throws IOException {
        long size = blockCount * blockSize;
        long start = lba * blockSize;
        long maxBlocks = Math.min(blockCount - lba, 0xFFFF_FFFFL);
        BlockStore.Extent first = store.extentAt(start);
        if (!first.allocated() && first.end() >= start + blockSize) {
            // Blocks wholly inside holes; merge following holes the store reports separately.
            long end = first.end();
            for (int i = 1; i < MAX_EXTENTS_PER_DESCRIPTOR && end < size; i++) {
                BlockStore.Extent next = store.extentAt(end);
                if (next.allocated()) {
                    break;
                }
                end = next.end();
            }
            long blocks = Math.min((end - start) / blockSize, maxBlocks);
            return new LbaStatusDescriptor(lba, blocks, LbaStatusDescriptor.DEALLOCATED);
        }
        // Mapped: runs until a hole covers a whole block that starts at a block boundary.
        long cursor = start;
        for (int i = 0; i < MAX_EXTENTS_PER_DESCRIPTOR && cursor < size; i++) {
            BlockStore.Extent e = store.extentAt(cursor);
            if (e.allocated()) {
                cursor = e.end();
                continue;
            }
            long aligned = (cursor + blockSize - 1) / blockSize * blockSize;
            if (aligned + blockSize <= e.end()) {
                cursor = aligned;
                break;
            }
            cursor = e.end();
        }
        long endBlock = Math.min((cursor + blockSize - 1) / blockSize, blockCount);
        long blocks = Math.min(Math.max(1, endBlock - lba), maxBlocks);
        return new LbaStatusDescriptor(lba, blocks, LbaStatusDescriptor.MAPPED);
    }
}
