package org.copyoffload.backends.store;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A volume kept in a sparse regular file (Linux). Reads and writes are positional (pread/pwrite), so any number of
 * threads may use the store at once; FUA writes go through a second descriptor opened with O_DSYNC so that only
 * they wait for the disk; hole punching and {@code st_blocks} come from libc through FFM.
 */
public final class FileBlockStore implements BlockStore {
    private final Path path;
    private final long size;
    private final ReopeningChannel data;  // READ, WRITE
    private final ReopeningChannel dsync; // WRITE, DSYNC: each write returns once it is on stable storage
    private final LinuxFile linux;        // fallocate, fstat
    private final AtomicBoolean closed = new AtomicBoolean();
    private final boolean localPageCache; // see buffersWritesInPageCache
    // Cleared on the first EOPNOTSUPP so a filesystem without the mode costs one failed syscall, not one per call.
    private volatile boolean punchHoleSupported = true;
    private volatile boolean zeroRangeSupported = true;

    private FileBlockStore(Path path, long size, ReopeningChannel data, ReopeningChannel dsync, LinuxFile linux) {
        this.path = path;
        this.size = size;
        this.data = data;
        this.dsync = dsync;
        this.linux = linux;
        this.localPageCache = onLocalPageCacheFilesystem(path);
    }

    /**
     * Filesystems whose buffered writes stop in the local page cache. Network and FUSE filesystems may wait for a
     * server (FUSE devices also throttle dirty pages per device, below the global limits), and unknown ones are
     * treated alike.
     */
    private static final java.util.Set<String> LOCAL_PAGE_CACHE_FILESYSTEMS =
            java.util.Set.of("ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "tmpfs");

    private static boolean onLocalPageCacheFilesystem(Path file) {
        try {
            return LOCAL_PAGE_CACHE_FILESYSTEMS.contains(Files.getFileStore(file).type());
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public boolean buffersWritesInPageCache() {
        return localPageCache;
    }

    /**
     * Opens the volume file, creating it sparse (nothing allocated) when it is missing and {@code create} is set.
     * An existing file smaller than {@code size} is grown (sparse: the new tail reads as zeros); a larger one is
     * refused, since shrinking would drop data.
     *
     * @throws NoSuchFileException if the file is missing and {@code create} is off
     * @throws IOException         naming the path and both sizes if the file is larger than {@code size}
     */
    public static FileBlockStore open(Path file, long size, boolean create) throws IOException {
        if (size <= 0) {
            throw new IllegalArgumentException("volume size must be positive, was " + size + " for " + file);
        }
        boolean created = false;
        if (create) {
            try {
                Files.createFile(file);
                created = true;
            } catch (FileAlreadyExistsException existing) {
                // an existing volume: open it below
            }
        } else if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "volume file does not exist and create is off");
        }
        try {
            return openExisting(file, size);
        } catch (IOException | RuntimeException e) {
            if (created) {
                Files.deleteIfExists(file);
            }
            throw e;
        }
    }

    private static FileBlockStore openExisting(Path file, long size) throws IOException {
        ReopeningChannel data = null;
        ReopeningChannel dsync = null;
        LinuxFile linux = null;
        try {
            data = ReopeningChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            linux = LinuxFile.open(file);
            long current = data.current().size();
            if (current > size) {
                throw new IOException("volume file " + file + " is " + current + " bytes but the configured size is "
                        + size + " bytes: refusing to shrink it, that would drop data");
            }
            if (current < size) {
                linux.truncate(size); // ftruncate grows by a hole: nothing is allocated
            }
            dsync = ReopeningChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.DSYNC);
            return new FileBlockStore(file, size, data, dsync, linux);
        } catch (IOException | RuntimeException e) {
            closeQuietly(dsync, e);
            closeQuietly(linux, e);
            closeQuietly(data, e);
            throw e;
        }
    }

    /** The volume file. */
    public Path path() {
        return path;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        Ranges.check(offset, dst.remaining(), size);
        ensureOpen();
        long position = offset;
        while (dst.hasRemaining()) {
            long at = position;
            int n = data.call(ch -> ch.read(dst, at));
            if (n < 0) {
                throw new EOFException(path + " ends before offset " + at + " of " + size
                        + ": was it truncated by someone else?");
            }
            position += n;
        }
    }

    @Override
    public boolean readIfCached(long offset, ByteBuffer dst) {
        Ranges.check(offset, dst.remaining(), size);
        return !closed.get() && linux.readNoWait(offset, dst);
    }

    @Override
    public boolean isCached(long offset, long length) {
        Ranges.check(offset, length, size);
        return !closed.get() && linux.cached(offset, length);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean durable) throws IOException {
        Ranges.check(offset, src.remaining(), size);
        ensureOpen();
        writeFully(durable ? dsync : data, offset, src);
    }

    /** Direct buffers go to the file in one pwritev2 (RWF_DSYNC for FUA); heap buffers one by one through the channel. */
    @Override
    public void write(long offset, ByteBuffer[] srcs, boolean durable) throws IOException {
        for (ByteBuffer src : srcs) {
            if (!src.isDirect()) {
                BlockStore.super.write(offset, srcs, durable);
                return;
            }
        }
        Ranges.check(offset, Ranges.remaining(srcs), size);
        ensureOpen();
        linux.writeGathering(offset, srcs, durable);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean deallocate, boolean durable) throws IOException {
        Ranges.check(offset, length, size);
        ensureOpen();
        if (length == 0) {
            return;
        }
        boolean done = deallocate ? punchHole(offset, length) : zeroRange(offset, length);
        if (!done) {
            writeZeroBytes(offset, length, durable);
        } else if (durable) {
            // fallocate changes only metadata, which fdatasync may skip on some filesystems: fsync covers it.
            data.call(ch -> {
                ch.force(true);
                return null;
            });
        }
    }

    @Override
    public void deallocate(long offset, long length) throws IOException {
        writeZeroes(offset, length, true, false);
    }

    @Override
    public void flush() throws IOException {
        ensureOpen();
        data.call(ch -> {
            ch.force(false); // fdatasync
            return null;
        });
    }

    /** st_blocks * 512 from fstat: what the filesystem really holds for this file, holes excluded. */
    @Override
    public long allocatedBytes() throws IOException {
        ensureOpen();
        return linux.stat().allocatedBytes();
    }

    /**
     * From SEEK_DATA and SEEK_HOLE: a hole runs to the next data (or the end of the file), data runs to the next hole.
     * The kernel reports holes in filesystem blocks, so a deallocated range smaller than one is reported allocated.
     */
    @Override
    public Extent extentAt(long offset) throws IOException {
        if (offset < 0 || offset >= size) {
            throw new IllegalArgumentException("extent offset " + offset + " outside " + path + " of " + size + " bytes");
        }
        ensureOpen();
        long data = linux.seek(offset, Libc.SEEK_DATA);
        if (data < 0 || data >= size) {
            return new Extent(offset, size - offset, false);
        }
        if (data > offset) {
            return new Extent(offset, data - offset, false);
        }
        long hole = linux.seek(offset, Libc.SEEK_HOLE);
        return new Extent(offset, (hole < 0 ? size : Math.min(hole, size)) - offset, true);
    }

    @Override
    public Optional<FileChannel> fileChannel() {
        try {
            ensureOpen();
            return Optional.of(data.current());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies between file stores in the kernel: FileChannel.transferTo, which is copy_file_range on Linux (reflink
     * or server-side copy where the filesystem can). Ranges must not overlap within one file: copy_file_range
     * refuses that, so {@link StoreCopier} sends overlapping copies through a buffer instead.
     */
    void transferFrom(FileBlockStore src, long srcOffset, long dstOffset, long length, boolean durable)
            throws IOException {
        ensureOpen();
        src.ensureOpen();
        // copy_file_range writes at the target descriptor's file position. A channel of our own per copy keeps
        // that position private, so concurrent copies into this store need no lock.
        try (FileChannel target = linux.reopen(StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < length) {
                long from = srcOffset + done;
                long to = dstOffset + done;
                long remaining = length - done;
                long n = src.data.call(source -> source.transferTo(from, remaining, target.position(to)));
                if (n <= 0) {
                    throw new EOFException(src.path + " ended at offset " + from + " during a copy to " + path);
                }
                done += n;
            }
        }
        if (durable) {
            flush();
        }
    }

    /** Test hook: behave as on a filesystem without fallocate, to exercise the zero-writing fallback. */
    void disableFallocate() {
        punchHoleSupported = false;
        zeroRangeSupported = false;
    }

    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        IOException failure = null;
        for (Closeable c : new Closeable[] {dsync, data, linux}) {
            try {
                c.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "FileBlockStore[" + path + ", " + size + " bytes]";
    }

    private boolean punchHole(long offset, long length) throws IOException {
        if (punchHoleSupported
                && linux.fallocate(Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length)) {
            return true;
        }
        punchHoleSupported = false;
        return false;
    }

    /** Zeros that stay allocated (unwritten extents on ext4/xfs) without writing data; tmpfs lacks it. */
    private boolean zeroRange(long offset, long length) throws IOException {
        if (zeroRangeSupported
                && linux.fallocate(Libc.FALLOC_FL_ZERO_RANGE | Libc.FALLOC_FL_KEEP_SIZE, offset, length)) {
            return true;
        }
        zeroRangeSupported = false;
        return false;
    }

    private void writeZeroBytes(long offset, long length, boolean durable) throws IOException {
        ReopeningChannel channel = durable ? dsync : data;
        long position = offset;
        long end = offset + length;
        while (position < end) {
            int n = (int) Math.min(end - position, Zeros.BUFFER_BYTES);
            writeFully(channel, position, Zeros.view(n));
            position += n;
        }
    }

    private static void writeFully(ReopeningChannel channel, long offset, ByteBuffer src) throws IOException {
        long position = offset;
        while (src.hasRemaining()) {
            long at = position;
            position += channel.call(ch -> ch.write(src, at));
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed.get()) {
            throw new ClosedChannelException();
        }
    }

    private static void closeQuietly(Closeable c, Exception primary) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                primary.addSuppressed(e);
            }
        }
    }
}
