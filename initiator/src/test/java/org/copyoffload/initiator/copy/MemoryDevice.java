package org.copyoffload.initiator.copy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A base device in memory for the copy path's tests. Devices of one {@code controller} can copy between each other
 * (null: this device cannot copy at all); faults make it refuse copies or stop after some bytes, or fail reads.
 */
final class MemoryDevice implements CopyCapableDevice {
    final String name;
    final byte[] bytes;
    final int blockSize;
    final Object controller;
    /** Copies into this device refuse at once. */
    volatile boolean refuseCopies;
    /** A copy into this device stops after this many bytes (rounded down to blocks); negative: never. */
    volatile long copyStopsAfter = -1;
    volatile boolean failReads;
    /** Like one sequential zone: every write (or copy into it) must start at {@link #writePointer}. */
    volatile boolean sequential;
    long writePointer;
    long offloadedBytes;
    long copyCommands;

    MemoryDevice(String name, int blocks, int blockSize, Object controller) {
        this.name = name;
        this.bytes = new byte[blocks * blockSize];
        this.blockSize = blockSize;
        this.controller = controller;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public Optional<Refusal> refusesCopyFrom(CopyCapableDevice source) {
        if (controller == null) {
            return Optional.of(new Refusal(FallbackReason.NO_COPY_COMMAND, name + " cannot copy"));
        }
        if (!(source instanceof MemoryDevice m) || m.controller != controller || m.blockSize != blockSize) {
            return Optional.of(new Refusal(FallbackReason.DIFFERENT_DEVICES, source.name() + " to " + name));
        }
        return Optional.empty();
    }

    @Override
    public synchronized CompletableFuture<Outcome> copyFrom(CopyCapableDevice source, long sourceOffset,
                                                            long destinationOffset, long length) {
        copyCommands++;
        if (refuseCopies) {
            return CompletableFuture.completedFuture(new Outcome(0,
                    new Refusal(FallbackReason.DEVICE_REFUSED, name + ": injected refusal")));
        }
        long n = length;
        if (copyStopsAfter >= 0 && copyStopsAfter < length) {
            n = copyStopsAfter / blockSize * blockSize;
        }
        MemoryDevice src = (MemoryDevice) source;
        if (sequential) {
            if (destinationOffset != writePointer) {
                return CompletableFuture.completedFuture(new Outcome(0, new Refusal(FallbackReason.DEVICE_REFUSED,
                        name + ": copy at " + destinationOffset + ", write pointer at " + writePointer)));
            }
            writePointer += n;
        }
        System.arraycopy(src.bytes, (int) sourceOffset, bytes, (int) destinationOffset, (int) n);
        offloadedBytes += n;
        return CompletableFuture.completedFuture(n == length ? Outcome.all(length)
                : new Outcome(n, new Refusal(FallbackReason.PARTIAL_COPY, name + ": injected stop")));
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        MappedIo.check(this, offset, length);
        if (failReads) {
            return CompletableFuture.failedFuture(new java.io.IOException(name + ": injected read error"));
        }
        synchronized (this) {
            return CompletableFuture.completedFuture(Unpooled.copiedBuffer(bytes, (int) offset, length));
        }
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data) {
        try {
            MappedIo.check(this, offset, data.readableBytes());
            synchronized (this) {
                if (sequential) {
                    if (offset != writePointer) {
                        return CompletableFuture.failedFuture(new IllegalStateException(name + ": write at " + offset
                                + ", write pointer at " + writePointer));
                    }
                    writePointer += data.readableBytes();
                }
                data.getBytes(data.readerIndex(), bytes, (int) offset, data.readableBytes());
            }
            return CompletableFuture.completedFuture(null);
        } finally {
            data.release();
        }
    }

    @Override
    public boolean requiresSequentialWrites() {
        return sequential;
    }

    @Override
    public String toString() {
        return name;
    }
}
