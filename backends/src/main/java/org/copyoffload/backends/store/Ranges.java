package org.copyoffload.backends.store;

import java.nio.ByteBuffer;

/** The range guard every store applies before touching data. */
final class Ranges {
    private Ranges() {
    }

    /**
     * Throws unless {@code [offset, offset + length)} lies inside {@code [0, size)}. Written as
     * {@code offset > size - length} so that no sum can overflow.
     */
    /** The bytes the buffers hold together (their remaining bytes). */
    static long remaining(ByteBuffer[] buffers) {
        long total = 0;
        for (ByteBuffer b : buffers) {
            total += b.remaining();
        }
        return total;
    }

    static void check(long offset, long length, long size) {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new IllegalArgumentException(
                    "range offset=" + offset + " length=" + length + " is outside the store of size " + size);
        }
    }
}
