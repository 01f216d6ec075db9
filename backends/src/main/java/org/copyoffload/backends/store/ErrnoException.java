package org.copyoffload.backends.store;

import java.io.IOException;

/** A failed libc call: carries errno so callers can tell "unsupported here" from real failures. */
public final class ErrnoException extends IOException {
    private final int errno;

    ErrnoException(String call, int errno, String detail) {
        super(call + " failed: errno " + errno + " (" + detail + ")");
        this.errno = errno;
    }

    /** The C errno value (Linux numbering). */
    public int errno() {
        return errno;
    }
}
