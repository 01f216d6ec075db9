package org.copyoffload.backends.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A sparse in-memory store for tests: fixed-size chunks are allocated on first write, so a 1 TiB store costs
 * nothing until written. Nothing is durable, so the durable flags and {@link #flush()} change nothing.
 */
public final class MemoryBlockStore implements BlockStore {
    static final int CHUNK_BYTES = 64 * 1024;

    private static final byte[] ZERO_CHUNK = new byte[CHUNK_BYTES];

    private final long size;
    // Chunk index -> contents. Each array is locked while copied so that concurrent calls on neighbouring ranges
    // of one chunk see each other's completed writes (the arrays themselves are shared mutable state).
    private final ConcurrentMap<Long, byte[]> chunks = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public MemoryBlockStore(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
        this.size = size;
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
            int within = (int) (position % CHUNK_BYTES);
            int n = Math.min(dst.remaining(), CHUNK_BYTES - within);
            byte[] chunk = chunks.get(position / CHUNK_BYTES);
            if (chunk == null) {
                dst.put(ZERO_CHUNK, 0, n);
            } else {
                synchronized (chunk) {
                    dst.put(chunk, within, n);
                }
            }
            position += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean durable) throws IOException {
        Ranges.check(offset, src.remaining(), size);
        ensureOpen();
        long position = offset;
        while (src.hasRemaining()) {
            int within = (int) (position % CHUNK_BYTES);
            int n = Math.min(src.remaining(), CHUNK_BYTES - within);
            byte[] chunk = chunks.computeIfAbsent(position / CHUNK_BYTES, index -> new byte[CHUNK_BYTES]);
            synchronized (chunk) {
                src.get(chunk, within, n);
            }
            position += n;
        }
    }

    /** Whole chunks in the range are dropped, partial ones zeroed in place; never allocates, whatever the flag. */
    @Override
    public void writeZeroes(long offset, long length, boolean deallocate, boolean durable) throws IOException {
        Ranges.check(offset, length, size);
        ensureOpen();
        long position = offset;
        long end = offset + length;
        while (position < end) {
            long index = position / CHUNK_BYTES;
            int within = (int) (position % CHUNK_BYTES);
            int n = (int) Math.min(end - position, CHUNK_BYTES - within);
            if (n == CHUNK_BYTES) {
                chunks.remove(index);
            } else {
                byte[] chunk = chunks.get(index);
                if (chunk != null) {
                    synchronized (chunk) {
                        Arrays.fill(chunk, within, within + n, (byte) 0);
                    }
                }
            }
            position += n;
        }
    }

    @Override
    public void deallocate(long offset, long length) throws IOException {
        writeZeroes(offset, length, true, false);
    }

    @Override
    public void flush() throws IOException {
        ensureOpen();
    }

    /** Allocated chunks times the chunk size. */
    @Override
    public long allocatedBytes() throws IOException {
        ensureOpen();
        return (long) chunks.size() * CHUNK_BYTES;
    }

    /** Chunks never written (or dropped whole) are holes; the walk stops after 4096 chunks (256 MiB). */
    @Override
    public Extent extentAt(long offset) throws IOException {
        if (offset < 0 || offset >= size) {
            throw new IllegalArgumentException("extent offset " + offset + " outside a store of " + size + " bytes");
        }
        ensureOpen();
        long index = offset / CHUNK_BYTES;
        boolean allocated = chunks.containsKey(index);
        long last = (size - 1) / CHUNK_BYTES;
        long next = index + 1;
        while (next <= last && next - index < 4096 && chunks.containsKey(next) == allocated) {
            next++;
        }
        return new Extent(offset, Math.min(size, next * CHUNK_BYTES) - offset, allocated);
    }

    @Override
    public boolean readIfCached(long offset, ByteBuffer dst) throws IOException {
        read(offset, dst); // it is all memory: nothing to wait for
        return true;
    }

    @Override
    public boolean isCached(long offset, long length) {
        Ranges.check(offset, length, size);
        return true; // it is all memory
    }

    @Override
    public Optional<FileChannel> fileChannel() {
        return Optional.empty();
    }

    @Override
    public void close() {
        closed = true;
        chunks.clear();
    }

    @Override
    public String toString() {
        return "MemoryBlockStore[" + size + " bytes, " + chunks.size() + " chunks]";
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }
}
