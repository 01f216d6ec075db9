package org.copyoffload.backends.store;

/** The range guard every store applies before touching data. */
final class Ranges {
    private Ranges() {
    }

    /**
     * Throws unless {@code [offset, offset + length)} lies inside {@code [0, size)}. Written as
     * {@code offset > size - length} so that no sum can overflow.
     */
    static void check(long offset, long length, long size) {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new IllegalArgumentException(
                    "range offset=" + offset + " length=" + length + " is outside the store of size " + size);
        }
    }
}
