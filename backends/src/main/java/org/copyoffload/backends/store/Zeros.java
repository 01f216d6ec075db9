package org.copyoffload.backends.store;

import java.nio.ByteBuffer;

/** One shared read-only block of zeros, so writing zeros over any length costs a bounded, fixed amount of memory. */
final class Zeros {
    static final int BUFFER_BYTES = 1 << 20;

    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(BUFFER_BYTES).asReadOnlyBuffer();

    private Zeros() {
    }

    /** A fresh view of {@code length} zero bytes (at most {@link #BUFFER_BYTES}); views are cheap and unshared. */
    static ByteBuffer view(int length) {
        return ZEROS.duplicate().limit(length);
    }
}
