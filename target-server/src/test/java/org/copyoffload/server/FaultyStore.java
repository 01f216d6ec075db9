package org.copyoffload.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.copyoffload.backends.store.BlockStore;

/**
 * A store that passes everything to a real one, except what a test tells it to break: reads fail with an I/O
 * error, flushes fail or take their time, writes wait for a gate, writes over one offset fail (once or always). It
 * counts flushes in progress, so a test can tell whether something happened while a flush was still running.
 */
public final class FaultyStore implements BlockStore {
    private final BlockStore delegate;
    public volatile boolean failReads;
    public volatile boolean failFlushes;
    public volatile long flushDelayMillis;
    /** A write whose range holds this byte offset fails with an I/O error; -1: none does. */
    public volatile long failWritesAt = -1;
    /** Only the first write holding {@link #failWritesAt} fails; later ones pass. */
    public volatile boolean failWritesOnce;
    /** While set and closed, writes wait for it (counted in {@link #writesWaiting}). */
    public volatile CountDownLatch writeGate;
    private final AtomicInteger flushing = new AtomicInteger();
    private final AtomicInteger writesWaiting = new AtomicInteger();

    public FaultyStore(BlockStore delegate) {
        this.delegate = delegate;
    }

    /** Back to a well-behaved store. */
    public void heal() {
        failReads = false;
        failFlushes = false;
        flushDelayMillis = 0;
        failWritesAt = -1;
        failWritesOnce = false;
    }

    public int flushesInProgress() {
        return flushing.get();
    }

    public int writesWaiting() {
        return writesWaiting.get();
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        if (failReads) {
            throw new IOException("injected read error at offset " + offset);
        }
        delegate.read(offset, dst);
    }

    @Override
    public boolean isCached(long offset, long length) {
        return delegate.isCached(offset, length);
    }

    /** A failing read is never answered from the cache: it must reach {@link #read} and fail there. */
    @Override
    public boolean readIfCached(long offset, ByteBuffer dst) throws IOException {
        return !failReads && delegate.readIfCached(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean durable) throws IOException {
        CountDownLatch gate = writeGate;
        if (gate != null) {
            writesWaiting.incrementAndGet();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("write interrupted");
            } finally {
                writesWaiting.decrementAndGet();
            }
        }
        long fault = failWritesAt;
        if (fault >= 0 && offset <= fault && fault < offset + src.remaining()) {
            synchronized (this) {
                if (failWritesAt == fault) {
                    if (failWritesOnce) {
                        failWritesAt = -1;
                    }
                    throw new IOException("injected write error at offset " + fault + " (write of "
                            + src.remaining() + " bytes at " + offset + ")");
                }
            }
        }
        delegate.write(offset, src, durable);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean deallocate, boolean durable) throws IOException {
        delegate.writeZeroes(offset, length, deallocate, durable);
    }

    @Override
    public void deallocate(long offset, long length) throws IOException {
        delegate.deallocate(offset, length);
    }

    @Override
    public void flush() throws IOException {
        flushing.incrementAndGet();
        try {
            long delay = flushDelayMillis;
            if (delay > 0) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("flush interrupted");
                }
            }
            if (failFlushes) {
                throw new IOException("injected flush failure");
            }
            delegate.flush();
        } finally {
            flushing.decrementAndGet();
        }
    }

    @Override
    public long allocatedBytes() throws IOException {
        return delegate.allocatedBytes();
    }

    @Override
    public Optional<FileChannel> fileChannel() {
        return delegate.fileChannel();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
