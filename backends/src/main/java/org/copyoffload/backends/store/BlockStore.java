package org.copyoffload.backends.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Optional;

/**
 * A byte-addressed store behind a volume. Offsets and lengths are in bytes; callers align them to the LBA size.
 * Thread-safe: concurrent reads and writes to different ranges from many threads.
 *
 * <p>Every range-taking method throws {@link IllegalArgumentException} (naming offset, length and size) for a
 * negative offset or length or a range past {@link #size()}: callers check ranges first and map them to protocol
 * statuses, so this is a guard against programming errors. After {@link #close()} every data method throws
 * {@link java.nio.channels.ClosedChannelException}.
 */
public interface BlockStore extends Closeable {

    /** The size in bytes. */
    long size();

    /**
     * Fills {@code dst.remaining()} bytes from {@code offset}. Holes and never-written ranges read as zeros.
     */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * Writes {@code src.remaining()} bytes at {@code offset}.
     *
     * @param durable FUA: on return the bytes are on stable storage (they survive kill -9 and power loss)
     */
    void write(long offset, ByteBuffer src, boolean durable) throws IOException;

    /**
     * Writes the buffers' remaining bytes one after the other from {@code offset}, as one write: a command's data
     * received in several network buffers goes to the store without being copied into one first. The default writes
     * them one by one; a file store gathers them into one system call.
     *
     * @param durable FUA: on return all the bytes are on stable storage
     */
    default void write(long offset, ByteBuffer[] srcs, boolean durable) throws IOException {
        Ranges.check(offset, Ranges.remaining(srcs), size());
        long at = offset;
        for (ByteBuffer src : srcs) {
            int n = src.remaining();
            write(at, src, false);
            at += n;
        }
        if (durable) {
            flush();
        }
    }

    /**
     * Makes the range read as zeros, in bounded memory for any length.
     *
     * @param deallocate the store may deallocate (punch a hole) instead of writing zeros
     * @param durable    on return the zeros are on stable storage
     */
    void writeZeroes(long offset, long length, boolean deallocate, boolean durable) throws IOException;

    /** Deallocates the range (punches a hole where the store can); afterwards it reads as zeros. */
    void deallocate(long offset, long length) throws IOException;

    /** On return everything written before is on stable storage. */
    void flush() throws IOException;

    /** Bytes really allocated (for NVMe NUSE and thin provisioning). */
    long allocatedBytes() throws IOException;

    /**
     * The file behind the store, for zero-copy sends (sendfile) and copy_file_range; empty for memory stores. Use
     * positional calls only: the channel's position is shared. If a thread interrupt closes the channel, ask again
     * for a fresh one.
     */
    Optional<FileChannel> fileChannel();

    /**
     * Whether the whole range is in memory now, so that sending it from {@link #fileChannel()} (sendfile) cannot
     * wait for the disk or meet a media error. A hint: the pages may be evicted right after. The default, false,
     * is always safe: the caller then reads through {@link #read}, where an I/O error is reported.
     */
    default boolean isCached(long offset, long length) {
        return false;
    }

    /**
     * Whether a buffered (not durable) {@link #write} returns once its bytes are in this machine's page cache, never
     * waiting for a device or a network, unless the kernel throttles dirty memory: true for files on local disk
     * filesystems and tmpfs, so that a caller on an event loop may write inline while dirty memory is far from the
     * kernel's limits. The default, false, is always safe: the caller hands the write to a thread.
     */
    default boolean buffersWritesInPageCache() {
        return false;
    }

    /**
     * Reads {@code [offset, offset + dst.remaining())} into {@code dst} only if that cannot wait for the disk (the
     * range is in memory), so that a caller on an event loop may read inline instead of handing the read to a
     * thread. False leaves {@code dst}'s position where it was and says nothing about errors: the caller then reads
     * through {@link #read}, which reports them. The default, false, is always correct.
     */
    default boolean readIfCached(long offset, ByteBuffer dst) throws IOException {
        return false;
    }

    /**
     * A run of the store that is either all allocated (it may hold data) or all deallocated (a hole: it reads as
     * zeros and takes no space), for thin-provisioning reports such as SCSI GET LBA STATUS.
     *
     * @param offset    where the run starts
     * @param length    its length in bytes (positive)
     * @param allocated whether the run is allocated
     */
    record Extent(long offset, long length, boolean allocated) {
        public long end() {
            return offset + length;
        }
    }

    /**
     * The run that starts at {@code offset} (before {@link #size()}): allocated or a hole, and how far it goes. A run
     * may be reported shorter than it is (the caller asks again at its end), never longer. The default calls the
     * whole rest of the store allocated, which is always safe: an allocated range may still read as zeros.
     */
    default Extent extentAt(long offset) throws IOException {
        if (offset < 0 || offset >= size()) {
            throw new IllegalArgumentException("extent offset " + offset + " outside a store of " + size() + " bytes");
        }
        return new Extent(offset, size() - offset, true);
    }

    /**
     * Copies {@code length} bytes inside or between stores, correct when the ranges overlap (as if through a
     * temporary buffer). See {@link StoreCopier#copy}.
     */
    static void copy(BlockStore src, long srcOffset, BlockStore dst, long dstOffset, long length, boolean durable)
            throws IOException {
        StoreCopier.copy(src, srcOffset, dst, dstOffset, length, durable);
    }
}
