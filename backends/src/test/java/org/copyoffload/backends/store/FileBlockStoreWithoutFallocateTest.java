package org.copyoffload.backends.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.backends.store.TestBytes.assertZeros;
import static org.copyoffload.backends.store.TestBytes.random;
import static org.copyoffload.backends.store.TestBytes.read;
import static org.copyoffload.backends.store.TestBytes.write;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole contract again on a file store that behaves as if its filesystem had no fallocate. */
class FileBlockStoreWithoutFallocateTest extends BlockStoreContract {
    private static final AtomicInteger NAMES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected BlockStore create(long size) throws IOException {
        FileBlockStore store = FileBlockStore.open(dir.resolve("volume-" + NAMES.incrementAndGet()), size, true);
        store.disableFallocate();
        return store;
    }

    @Test
    void deallocateFallsBackToWritingZeros() throws IOException {
        BlockStore store = newStore(4 * MIB);
        write(store, MIB, random(1, (int) MIB));
        store.deallocate(MIB, MIB);
        store.flush();
        assertZeros(read(store, MIB, (int) MIB), "zero-filled range");
        assertThat(store.allocatedBytes()).isGreaterThanOrEqualTo(MIB); // written zeros, not a hole
    }
}
