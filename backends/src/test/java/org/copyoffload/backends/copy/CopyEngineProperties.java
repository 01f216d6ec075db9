package org.copyoffload.backends.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.backends.store.MemoryBlockStore;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random multi-segment copies over two stores, segments often overlapping each other and the destination,
 * against a model that reads every source into a temporary before writing: the semantics NVMe Copy asks for.
 */
class CopyEngineProperties {
    private static final int SIZE = 256 * 1024 + 4096;

    @TempDir
    Path dir;

    static LongStream seeds() {
        return LongStream.range(0, 200).map(i -> 0xC0B1_0000L + i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void copiesAsIfThroughATemporary(long seed) throws IOException {
        // Spread the seeds: consecutive seeds give java.util.Random nearly the same first draws.
        Random rnd = new Random(seed * 0x9E3779B97F4A7C15L);
        boolean files = rnd.nextBoolean();
        Path tmp = Files.createTempDirectory(dir, "t");
        try (BlockStore a = open(files, tmp.resolve("a"), rnd); BlockStore b = open(files, tmp.resolve("b"), rnd)) {
            byte[][] model = {contents(a), contents(b)};
            BlockStore[] stores = {a, b};
            int segments = 1 + rnd.nextInt(8);
            int dst = rnd.nextInt(2);
            List<CopySegment> list = new ArrayList<>();
            long total = 0;
            int maxTotal = SIZE / 2;
            long dstOffset = rnd.nextInt(SIZE - maxTotal);
            for (int i = 0; i < segments && total < maxTotal; i++) {
                int length = rnd.nextInt(Math.min(64 * 1024, (int) (maxTotal - total)) + 1);
                int src = rnd.nextInt(2);
                // Half the time near the destination, so sources overlap what earlier segments wrote.
                long offset = rnd.nextBoolean()
                        ? Math.clamp(dstOffset + rnd.nextInt(2 * maxTotal) - maxTotal / 2, 0, SIZE - length)
                        : rnd.nextInt(SIZE - length + 1);
                list.add(new CopySegment(stores[src], offset, length));
                total += length;
            }
            // The model: gather every source first, then write.
            byte[] gathered = new byte[(int) total];
            int at = 0;
            for (CopySegment s : list) {
                int src = s.source() == a ? 0 : 1;
                System.arraycopy(model[src], (int) s.offset(), gathered, at, (int) s.length());
                at += (int) s.length();
            }
            System.arraycopy(gathered, 0, model[dst], (int) dstOffset, gathered.length);

            // Scratch stores as the target makes them (a file unlinked at once) or in memory.
            CopyEngine.TemporaryStores scratch = files ? size -> {
                Path f = Files.createTempFile(tmp, ".copy-", ".scratch");
                try {
                    return FileBlockStore.open(f, size, true);
                } finally {
                    Files.delete(f);
                }
            } : MemoryBlockStore::new;
            CopyEngine.Plan plan = new CopyEngine(scratch).copy(list, stores[dst], dstOffset, rnd.nextBoolean());

            assertThat(plan).isEqualTo(CopyEngine.plan(list, stores[dst], dstOffset));
            assertThat(Arrays.mismatch(contents(a), model[0])).as("seed %d store a, plan %s", seed, plan).isEqualTo(-1);
            assertThat(Arrays.mismatch(contents(b), model[1])).as("seed %d store b, plan %s", seed, plan).isEqualTo(-1);
        }
    }

    private static BlockStore open(boolean file, Path path, Random rnd) throws IOException {
        BlockStore s = file ? FileBlockStore.open(path, SIZE, true) : new MemoryBlockStore(SIZE);
        byte[] fill = new byte[SIZE];
        rnd.nextBytes(fill);
        s.write(0, ByteBuffer.wrap(fill), false);
        return s;
    }

    private static byte[] contents(BlockStore s) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) s.size());
        s.read(0, b);
        return b.array();
    }
}
