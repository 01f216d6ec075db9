package org.copyoffload.backends.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.backends.store.TestBytes.assertSameBytes;
import static org.copyoffload.backends.store.TestBytes.random;
import static org.copyoffload.backends.store.TestBytes.readAll;
import static org.copyoffload.backends.store.TestBytes.write;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.backends.store.StoreCopier.Strategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class StoreCopierTest {
    private static final int MIB = 1 << 20;
    private static final int SIZE = 6 * MIB;
    /** Longer than the copier's buffer and not a multiple of anything. */
    private static final int LONG_COPY = StoreCopier.CHUNK_BYTES * 2 + 54_321;

    enum Kind { MEMORY, FILE }

    @TempDir
    Path dir;

    private final List<BlockStore> stores = new ArrayList<>();

    @AfterEach
    void close() throws IOException {
        for (BlockStore store : stores) {
            store.close();
        }
    }

    private BlockStore store(Kind kind) throws IOException {
        BlockStore store = switch (kind) {
            case MEMORY -> new MemoryBlockStore(SIZE);
            case FILE -> FileBlockStore.open(dir.resolve("volume-" + stores.size()), SIZE, true);
        };
        stores.add(store);
        return store;
    }

    /** A store filled with random bytes, and its expected contents. */
    private byte[] fill(BlockStore store, long seed) throws IOException {
        byte[] data = random(seed, SIZE);
        write(store, 0, data);
        return data;
    }

    @Test
    void fileToFileGoesThroughTheKernel() throws IOException {
        BlockStore src = store(Kind.FILE);
        BlockStore dst = store(Kind.FILE);
        byte[] source = fill(src, 1);
        byte[] target = fill(dst, 2);
        assertThat(StoreCopier.strategy(src, 4096, dst, 1000, LONG_COPY)).isEqualTo(Strategy.TRANSFER);

        BlockStore.copy(src, 4096, dst, 1000, LONG_COPY, false);

        System.arraycopy(source, 4096, target, 1000, LONG_COPY);
        assertSameBytes(readAll(dst), target, "destination");
        assertSameBytes(readAll(src), source, "source untouched");
    }

    @Test
    void fileToFileCopiesHolesAsZeros() throws IOException {
        BlockStore src = store(Kind.FILE);
        BlockStore dst = store(Kind.FILE);
        write(src, 0, random(3, MIB));
        byte[] target = fill(dst, 4);

        BlockStore.copy(src, 0, dst, 0, 3 * MIB, true);

        System.arraycopy(random(3, MIB), 0, target, 0, MIB);
        java.util.Arrays.fill(target, MIB, 3 * MIB, (byte) 0);
        assertSameBytes(readAll(dst), target, "destination");
    }

    @Test
    void nonOverlappingCopyWithinOneFileGoesThroughTheKernel() throws IOException {
        BlockStore store = store(Kind.FILE);
        byte[] data = fill(store, 5);
        assertThat(StoreCopier.strategy(store, 0, store, LONG_COPY, LONG_COPY)).isEqualTo(Strategy.TRANSFER);

        BlockStore.copy(store, 0, store, LONG_COPY, LONG_COPY, true);

        System.arraycopy(data, 0, data, LONG_COPY, LONG_COPY);
        assertSameBytes(readAll(store), data, "store");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void betweenKindsThroughABuffer(Kind srcKind) throws IOException {
        Kind dstKind = srcKind == Kind.FILE ? Kind.MEMORY : Kind.FILE;
        BlockStore src = store(srcKind);
        BlockStore dst = store(dstKind);
        byte[] source = fill(src, 6);
        byte[] target = fill(dst, 7);
        assertThat(StoreCopier.strategy(src, 77, dst, 4096, LONG_COPY)).isEqualTo(Strategy.FORWARD);

        BlockStore.copy(src, 77, dst, 4096, LONG_COPY, true);

        System.arraycopy(source, 77, target, 4096, LONG_COPY);
        assertSameBytes(readAll(dst), target, srcKind + " to " + dstKind);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void overlappingUpwardsCopiesFromTheTop(Kind kind) throws IOException {
        BlockStore store = store(kind);
        byte[] data = fill(store, 8);
        int shift = 100_000; // far less than the copy: most of the source is overwritten by the copy itself
        assertThat(StoreCopier.strategy(store, 512, store, 512 + shift, LONG_COPY)).isEqualTo(Strategy.BACKWARD);

        BlockStore.copy(store, 512, store, 512 + shift, LONG_COPY, false);

        System.arraycopy(data, 512, data, 512 + shift, LONG_COPY); // arraycopy is overlap-safe
        assertSameBytes(readAll(store), data, kind + " store");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void overlappingDownwardsCopiesFromTheBottom(Kind kind) throws IOException {
        BlockStore store = store(kind);
        byte[] data = fill(store, 9);
        int shift = 3;
        assertThat(StoreCopier.strategy(store, 4096 + shift, store, 4096, LONG_COPY)).isEqualTo(Strategy.FORWARD);

        BlockStore.copy(store, 4096 + shift, store, 4096, LONG_COPY, true);

        System.arraycopy(data, 4096 + shift, data, 4096, LONG_COPY);
        assertSameBytes(readAll(store), data, kind + " store");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void smallChunksCrossManyBoundariesBothWays(Kind kind) throws IOException {
        BlockStore store = store(kind);
        byte[] data = fill(store, 10);
        StoreCopier.copy(store, 1000, store, 1000 + 4097, 300_001, false, 4096);
        System.arraycopy(data, 1000, data, 1000 + 4097, 300_001);
        StoreCopier.copy(store, 700_000, store, 699_999, 300_001, false, 4095);
        System.arraycopy(data, 700_000, data, 699_999, 300_001);
        assertSameBytes(readAll(store), data, kind + " store");
    }

    @Test
    void sameRangeAndEmptyCopiesDoNothing() throws IOException {
        BlockStore store = store(Kind.FILE);
        byte[] data = fill(store, 11);
        assertThat(StoreCopier.strategy(store, 10, store, 10, 100)).isEqualTo(Strategy.IN_PLACE);
        assertThat(StoreCopier.strategy(store, 10, store, 20, 0)).isEqualTo(Strategy.NOTHING);
        BlockStore.copy(store, 10, store, 10, 100, true);
        BlockStore.copy(store, 10, store, 20, 0, true);
        assertSameBytes(readAll(store), data, "store");
    }
}
