package org.copyoffload.backends.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.backends.store.TestBytes.random;
import static org.copyoffload.backends.store.TestBytes.read;
import static org.copyoffload.backends.store.TestBytes.write;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class MemoryBlockStoreTest extends BlockStoreContract {
    private static final int CHUNK = MemoryBlockStore.CHUNK_BYTES;

    @Override
    protected BlockStore create(long size) {
        return new MemoryBlockStore(size);
    }

    @Test
    void aTebibyteStoreCostsNothingUntilWritten() throws IOException {
        BlockStore store = newStore(1L << 40);
        assertThat(store.allocatedBytes()).isZero();
        write(store, (1L << 40) - 4096, random(1, 4096));
        assertThat(store.allocatedBytes()).isEqualTo(CHUNK);
        assertThat(read(store, (1L << 40) - 4096, 4096)).isEqualTo(random(1, 4096));
    }

    @Test
    void memoryIsAlwaysReadableWithoutWaiting() throws IOException {
        BlockStore store = newStore(4 * MIB);
        write(store, 5000, random(3, 9000));
        java.nio.ByteBuffer dst = java.nio.ByteBuffer.allocate(9000 + 100);
        assertThat(store.readIfCached(5000 - 100, dst)).isTrue();
        assertThat(dst.position()).isEqualTo(9100);
        assertThat(java.util.Arrays.copyOfRange(dst.array(), 100, 9100)).isEqualTo(random(3, 9000));
    }

    @Test
    void writeZeroesOverTheWholeTebibyteDoesNotAllocate() throws IOException {
        BlockStore store = newStore(1L << 40);
        write(store, 12_345, random(2, 100_000));
        store.writeZeroes(0, 1L << 40, false, false);
        assertThat(store.allocatedBytes()).isZero();
        assertThat(read(store, 12_345, 100_000)).containsOnly(0);
    }

    @Test
    void allocationFollowsWholeChunks() throws IOException {
        BlockStore store = newStore(16L * CHUNK);
        write(store, CHUNK - 1, new byte[] {1, 2}); // straddles chunks 0 and 1
        assertThat(store.allocatedBytes()).isEqualTo(2L * CHUNK);

        store.deallocate(0, CHUNK); // whole chunk 0 goes
        assertThat(store.allocatedBytes()).isEqualTo(CHUNK);
        store.deallocate(CHUNK, 1); // part of chunk 1 is zeroed in place
        assertThat(store.allocatedBytes()).isEqualTo(CHUNK);
        assertThat(read(store, CHUNK - 1, 2)).containsExactly(0, 0);
    }

    @Test
    void hasNoFileChannel() {
        assertThat(new MemoryBlockStore(4096).fileChannel()).isEmpty();
    }
}
