package org.copyoffload.server.scsi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.copyoffload.backends.store.BlockStore;

/**
 * A store that passes everything on and counts what matters for durability (flushes, durable writes and zeroings),
 * remembers which threads touched it (none may be a caller's: I/O that may wait belongs on the executor; a read of
 * cached data that cannot wait, {@link #readIfCached}, is counted apart), and can hold reads at a gate so a test can
 * keep a command in flight.
 */
final class CountingStore implements BlockStore {
    private final BlockStore delegate;
    final AtomicInteger flushes = new AtomicInteger();
    final AtomicInteger durableWrites = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger inlineReads = new AtomicInteger();
    final Set<Thread> ioThreads = ConcurrentHashMap.newKeySet();
    volatile CountDownLatch readGate;
    volatile CountDownLatch readStarted;
    volatile boolean failReads;
    volatile boolean failWrites;

    CountingStore(BlockStore delegate) {
        this.delegate = delegate;
    }

    /** Holds every read at a gate until the returned gate is closed (a command stays in flight meanwhile). */
    ReadGate holdReads() {
        ReadGate g = new ReadGate();
        readStarted = g.started;
        readGate = g.gate;
        return g;
    }

    /** A gate set by {@link #holdReads}. */
    final class ReadGate implements AutoCloseable {
        private final CountDownLatch started = new CountDownLatch(1);
        private final CountDownLatch gate = new CountDownLatch(1);

        /** Waits (bounded) until a read has arrived at the gate. */
        boolean awaitFirstRead() throws InterruptedException {
            return started.await(30, TimeUnit.SECONDS);
        }

        /** Lets the held reads go and no longer holds new ones. */
        @Override
        public void close() {
            readGate = null;
            gate.countDown();
        }
    }

    private void touched() {
        ioThreads.add(Thread.currentThread());
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        touched();
        CountDownLatch started = readStarted;
        if (started != null) {
            started.countDown();
        }
        CountDownLatch gate = readGate;
        if (gate != null) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
        }
        if (failReads) {
            throw new IOException("injected read error at " + offset);
        }
        delegate.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean durable) throws IOException {
        touched();
        if (failWrites) {
            throw new IOException("injected write error at " + offset);
        }
        writes.incrementAndGet();
        if (durable) {
            durableWrites.incrementAndGet();
        }
        delegate.write(offset, src, durable);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean deallocate, boolean durable) throws IOException {
        touched();
        if (failWrites) {
            throw new IOException("injected write error at " + offset);
        }
        writes.incrementAndGet();
        if (durable) {
            durableWrites.incrementAndGet();
        }
        delegate.writeZeroes(offset, length, deallocate, durable);
    }

    @Override
    public void deallocate(long offset, long length) throws IOException {
        touched();
        delegate.deallocate(offset, length);
    }

    @Override
    public void flush() throws IOException {
        touched();
        if (failWrites) {
            throw new IOException("injected flush error");
        }
        flushes.incrementAndGet();
        delegate.flush();
    }

    @Override
    public long allocatedBytes() throws IOException {
        return delegate.allocatedBytes();
    }

    @Override
    public Extent extentAt(long offset) throws IOException {
        touched();
        return delegate.extentAt(offset);
    }

    @Override
    public boolean isCached(long offset, long length) {
        return delegate.isCached(offset, length);
    }

    /** Cached reads may run on the caller's thread; a gated or failing read never does, so it stays in flight. */
    @Override
    public boolean readIfCached(long offset, ByteBuffer dst) throws IOException {
        if (readGate != null || readStarted != null || failReads || !delegate.readIfCached(offset, dst)) {
            return false;
        }
        inlineReads.incrementAndGet();
        return true;
    }

    @Override
    public Optional<FileChannel> fileChannel() {
        // With a failure injected, no channel: copies (EXTENDED COPY) then go through read and write, and fail.
        return failReads || failWrites ? Optional.empty() : delegate.fileChannel();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
