package org.copyoffload.backends.copy;

import org.copyoffload.backends.store.BlockStore;

/** One source of a copy: {@code length} bytes of {@code source} at {@code offset}. */
public record CopySegment(BlockStore source, long offset, long length) {
    public CopySegment {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("segment offset " + offset + " length " + length);
        }
    }

    long end() {
        return offset + length;
    }
}
