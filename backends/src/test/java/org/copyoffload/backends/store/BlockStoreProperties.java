package org.copyoffload.backends.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.copyoffload.backends.store.StoreModel.Copy;
import org.copyoffload.backends.store.StoreModel.Deallocate;
import org.copyoffload.backends.store.StoreModel.Op;
import org.copyoffload.backends.store.StoreModel.Write;
import org.copyoffload.backends.store.StoreModel.WriteZeroes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random operation sequences on two stores, same-store and cross-store copies included, against byte[] models.
 * Each case is generated from its seed, so a failure names the seed that reproduces it.
 */
class BlockStoreProperties {
    /** Three memory chunks and a bit: not a multiple of the chunk or of any block size. */
    private static final int SIZE = 3 * MemoryBlockStore.CHUNK_BYTES + 1536;
    private static final int CASES = 250;

    /**
     * Durability does not change what a store reads back, and each durable call waits for the disk (tens of ms
     * here): the unit tests cover the durable paths, the properties cover contents.
     */
    private static final boolean NOT_DURABLE = false;

    enum Kind { MEMORY, FILE, FILE_WITHOUT_FALLOCATE }

    static LongStream seeds() {
        return LongStream.range(0, CASES).map(i -> 0x5EED_0000L + i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void storesMatchTheirModels(long seed) throws IOException {
        Random rnd = new Random(seed);
        Kind first = pick(rnd, Kind.values());
        Kind second = pick(rnd, Kind.values());
        int copyChunkBytes = 1 + rnd.nextInt(100_000);
        List<Op> ops = sequence(rnd);
        Path dir = Files.createTempDirectory("blockstore-properties");
        try (BlockStore a = open(first, dir.resolve("a")); BlockStore b = open(second, dir.resolve("b"))) {
            StoreModel model = new StoreModel(a, b, copyChunkBytes);
            model.run(ops);
            assertThat(model.firstDifference())
                    .as("seed %d: %s and %s, copy chunk %d, ops %s", seed, first, second, copyChunkBytes, ops)
                    .isNull();
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static BlockStore open(Kind kind, Path file) throws IOException {
        return switch (kind) {
            case MEMORY -> new MemoryBlockStore(SIZE);
            case FILE -> FileBlockStore.open(file, SIZE, true);
            case FILE_WITHOUT_FALLOCATE -> {
                FileBlockStore store = FileBlockStore.open(file, SIZE, true);
                store.disableFallocate();
                yield store;
            }
        };
    }

    /** 1 to 20 operations: writes 4, zeroes 2, deallocations 2, copies 5 in 13. */
    private static List<Op> sequence(Random rnd) {
        int count = 1 + rnd.nextInt(20);
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int kind = rnd.nextInt(13);
            int store = rnd.nextInt(2);
            int[] r = range(rnd);
            if (kind < 4) {
                ops.add(new Write(store, r[0], r[1], rnd.nextLong(), NOT_DURABLE));
            } else if (kind < 6) {
                ops.add(new WriteZeroes(store, r[0], r[1], rnd.nextBoolean(), NOT_DURABLE));
            } else if (kind < 8) {
                ops.add(new Deallocate(store, r[0], r[1]));
            } else {
                ops.add(copy(rnd));
            }
        }
        return ops;
    }

    /** A position, with the edge cases 0 and the end of the store far more likely than chance. */
    private static int position(Random rnd) {
        return switch (rnd.nextInt(8)) {
            case 0 -> 0;
            case 1 -> SIZE;
            default -> rnd.nextInt(SIZE + 1);
        };
    }

    /** An offset and a length inside the store. */
    private static int[] range(Random rnd) {
        int x = position(rnd);
        int y = position(rnd);
        return new int[] {Math.min(x, y), Math.abs(x - y)};
    }

    /** Copies whose destination is often a small shift of the source, so same-store copies overlap. */
    private static Op copy(Random rnd) {
        int length = position(rnd);
        int srcOffset = rnd.nextInt(SIZE - length + 1);
        int anyOffset = rnd.nextInt(SIZE - length + 1);
        int delta = length == 0 ? 0 : rnd.nextInt(2 * length + 1) - length;
        int dstOffset = rnd.nextBoolean() ? (int) Math.clamp((long) srcOffset + delta, 0, SIZE - length) : anyOffset;
        return new Copy(rnd.nextInt(2), srcOffset, rnd.nextInt(2), dstOffset, length, NOT_DURABLE);
    }

    private static <T> T pick(Random rnd, T[] values) {
        return values[rnd.nextInt(values.length)];
    }
}
