package org.copyoffload.server.volume;

import org.copyoffload.backends.store.BlockStore;

/** A named store exported with one LBA size; the same volume may back namespaces of several subsystems. */
public record Volume(String name, BlockStore store, int blockSize) {
    public long blockCount() {
        return store.size() / blockSize;
    }
}
