package org.copyoffload.backends.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.copyoffload.backends.store.TestBytes.assertSameBytes;
import static org.copyoffload.backends.store.TestBytes.assertZeros;
import static org.copyoffload.backends.store.TestBytes.random;
import static org.copyoffload.backends.store.TestBytes.read;
import static org.copyoffload.backends.store.TestBytes.write;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * tmpfs punches holes but has no FALLOC_FL_ZERO_RANGE, and counts st_blocks in pages: check both on /dev/shm when
 * the machine has it.
 */
class TmpfsFileBlockStoreTest {
    private static final long MIB = 1 << 20;
    private static final Path SHM = Path.of("/dev/shm");

    private Path dir;

    @BeforeEach
    void makeDir() throws IOException {
        assumeThat(Files.isDirectory(SHM) && Files.isWritable(SHM)).as("writable /dev/shm").isTrue();
        assumeThat(Files.getFileStore(SHM).type()).isEqualTo("tmpfs");
        dir = Files.createTempDirectory(SHM, "blockstore-test");
    }

    @AfterEach
    void removeDir() throws IOException {
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void accountsForWritesAndPunchesOnTmpfs() throws IOException {
        try (BlockStore store = FileBlockStore.open(dir.resolve("volume"), 64 * MIB, true)) {
            assertThat(store.allocatedBytes()).isZero();
            write(store, 4 * MIB, random(1, (int) MIB));
            assertThat(store.allocatedBytes()).isEqualTo(MIB);
            store.deallocate(4 * MIB, MIB);
            assertThat(store.allocatedBytes()).isZero();
            assertZeros(read(store, 4 * MIB, (int) MIB), "punched range");
        }
    }

    @Test
    void writeZeroesWithoutDeallocateFallsBackToWritingZeros() throws IOException {
        try (BlockStore store = FileBlockStore.open(dir.resolve("volume"), 64 * MIB, true)) {
            byte[] data = random(2, (int) (3 * MIB));
            write(store, 0, data);
            store.writeZeroes(512, 3 * MIB - 1024, false, true);
            Arrays.fill(data, 512, (int) (3 * MIB - 512), (byte) 0);
            assertSameBytes(read(store, 0, (int) (3 * MIB)), data, "after writeZeroes");
            assertThat(store.allocatedBytes()).isEqualTo(3 * MIB);
        }
    }
}
