package org.copyoffload.initiator.copy;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * A block device on the host: a base device (a remote namespace or LU) or a mapping layer stacked on others. Offsets
 * and lengths are bytes, multiples of {@link #blockSize()}.
 */
public interface BlockDevice {
    String name();

    /** Capacity in bytes. */
    long size();

    /** The logical block size in bytes; every offset and length is a multiple of it. */
    int blockSize();

    /** Reads {@code length} bytes at {@code offset}; the caller releases the buffer. */
    CompletableFuture<ByteBuf> read(long offset, int length);

    /** Writes the readable bytes of {@code data} at {@code offset}; takes ownership of {@code data}. */
    CompletableFuture<Void> write(long offset, ByteBuf data);

    /**
     * Whether writes must reach the device in ascending order, one after the other (a zoned device's sequential
     * zones: each write at the write pointer). The copy path's fallback then writes one chunk at a time, in order,
     * as Linux's zone write locking does.
     */
    default boolean requiresSequentialWrites() {
        return false;
    }
}
