package org.copyoffload.server.volume;

import org.copyoffload.backends.store.BlockStore;

/**
 * A named store exported with one LBA size; the same volume may back namespaces of several subsystems.
 * {@code zoned} is its zone state when it is a zoned volume, else null.
 */
public record Volume(String name, BlockStore store, int blockSize, ZonedVolume zoned) {
    public Volume(String name, BlockStore store, int blockSize) {
        this(name, store, blockSize, null);
    }

    public long blockCount() {
        return store.size() / blockSize;
    }

    public boolean isZoned() {
        return zoned != null;
    }
}
