package org.copyoffload.backends.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.backends.store.TestBytes.assertSameBytes;
import static org.copyoffload.backends.store.TestBytes.assertZeros;
import static org.copyoffload.backends.store.TestBytes.random;
import static org.copyoffload.backends.store.TestBytes.read;
import static org.copyoffload.backends.store.TestBytes.write;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import com.sun.nio.file.ExtendedOpenOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBlockStoreTest extends BlockStoreContract {
    /** Slack for metadata or a partial block a filesystem may keep around a hole. */
    private static final long SLACK = 64 * 1024;
    private static final AtomicInteger NAMES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected BlockStore create(long size) throws IOException {
        return FileBlockStore.open(dir.resolve("volume-" + NAMES.incrementAndGet()), size, true);
    }

    @Test
    void extentsFollowSeekDataAndSeekHole() throws IOException {
        BlockStore store = newStore(4 * MIB);
        BlockStore.Extent empty = store.extentAt(0);
        org.junit.jupiter.api.Assumptions.assumeFalse(empty.allocated(), "filesystem reports holes");
        assertThat(empty).isEqualTo(new BlockStore.Extent(0, 4 * MIB, false));
        write(store, MIB, random(3, (int) MIB));
        assertThat(store.extentAt(0)).isEqualTo(new BlockStore.Extent(0, MIB, false));
        assertThat(store.extentAt(MIB)).isEqualTo(new BlockStore.Extent(MIB, MIB, true));
        assertThat(store.extentAt(MIB + 4096)).isEqualTo(new BlockStore.Extent(MIB + 4096, MIB - 4096, true));
        assertThat(store.extentAt(2 * MIB)).isEqualTo(new BlockStore.Extent(2 * MIB, 2 * MIB, false));
        store.deallocate(MIB + 65_536, 65_536);
        assertThat(store.extentAt(MIB)).isEqualTo(new BlockStore.Extent(MIB, 65_536, true));
        assertThat(store.extentAt(MIB + 65_536)).isEqualTo(new BlockStore.Extent(MIB + 65_536, 65_536, false));
        assertThat(store.extentAt(MIB + 131_072).allocated()).isTrue();
    }

    @Test
    void createsASparseFileOfTheConfiguredSize() throws IOException {
        Path file = dir.resolve("sparse");
        try (BlockStore store = FileBlockStore.open(file, 1L << 30, true)) {
            assertThat(Files.size(file)).isEqualTo(1L << 30);
            assertThat(store.allocatedBytes()).isLessThan(SLACK);
            assertZeros(read(store, (1L << 30) - 4096, 4096), "the last block of a new file");
        }
    }

    @Test
    void allocatedBytesGrowsWithWritesAndDropsAfterAPunch() throws IOException {
        BlockStore store = newStore(8 * MIB);
        long before = store.allocatedBytes();
        write(store, 2 * MIB, random(1, (int) MIB));
        store.flush(); // so the check holds even where st_blocks lags behind delayed allocation until writeback
        assertThat(store.allocatedBytes()).isGreaterThanOrEqualTo(before + MIB);

        store.deallocate(2 * MIB, MIB);
        assertThat(store.allocatedBytes()).isLessThan(before + SLACK);
        assertZeros(read(store, 2 * MIB, (int) MIB), "punched range");
    }

    @Test
    void writeZeroesWithoutDeallocateKeepsTheRangeAllocated() throws IOException {
        BlockStore store = newStore(8 * MIB);
        write(store, MIB, random(2, (int) MIB));
        store.flush();
        store.writeZeroes(MIB, MIB, false, true);
        assertThat(store.allocatedBytes()).isGreaterThanOrEqualTo(MIB);
        assertZeros(read(store, MIB, (int) MIB), "zeroed range");
    }

    @Test
    void dataSurvivesCloseAndReopen() throws IOException {
        Path file = dir.resolve("persistent");
        byte[] data = random(3, 300_000);
        try (BlockStore store = FileBlockStore.open(file, 4 * MIB, true)) {
            store.write(MIB + 512, ByteBuffer.wrap(data), true);
        }
        try (BlockStore store = FileBlockStore.open(file, 4 * MIB, false)) {
            assertSameBytes(read(store, MIB + 512, data.length), data, "after reopen");
        }
    }

    @Test
    void aDurableWriteIsInTheFileWhenItReturns() throws IOException {
        Path file = dir.resolve("durable");
        byte[] data = random(4, 4096);
        try (BlockStore store = FileBlockStore.open(file, MIB, true)) {
            store.write(8192, ByteBuffer.wrap(data), true);
            // Read through a descriptor of our own: the bytes are in the file, not in some buffer of the store.
            try (FileChannel other = FileChannel.open(file)) {
                ByteBuffer back = ByteBuffer.allocate(4096);
                other.read(back, 8192);
                assertSameBytes(back.array(), data, "seen through another descriptor");
            }
        }
    }

    @Test
    void refusesAFileLargerThanConfiguredNamingPathAndSizes() throws IOException {
        Path file = dir.resolve("too-big");
        FileBlockStore.open(file, 2 * MIB, true).close();
        assertThatThrownBy(() -> FileBlockStore.open(file, MIB, true))
                .isInstanceOf(IOException.class)
                .hasMessageContainingAll(file.toString(), String.valueOf(2 * MIB), String.valueOf(MIB));
        assertThat(Files.size(file)).isEqualTo(2 * MIB);
    }

    @Test
    void growsASmallerFileSparselyAndKeepsItsData() throws IOException {
        Path file = dir.resolve("grows");
        byte[] data = random(5, 4096);
        try (BlockStore store = FileBlockStore.open(file, MIB, true)) {
            write(store, MIB - 4096, data);
        }
        try (BlockStore store = FileBlockStore.open(file, 1L << 30, false)) {
            assertThat(Files.size(file)).isEqualTo(1L << 30);
            assertSameBytes(read(store, MIB - 4096, 4096), data, "old data");
            assertZeros(read(store, MIB, 4096), "grown tail");
            assertThat(store.allocatedBytes()).isLessThan(SLACK);
        }
    }

    @Test
    void refusesAMissingFileWithoutCreate() {
        Path file = dir.resolve("missing");
        assertThatThrownBy(() -> FileBlockStore.open(file, MIB, false))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining(file.toString());
        assertThat(file).doesNotExist();
    }

    @Test
    void refusesANonPositiveSize() {
        assertThatThrownBy(() -> FileBlockStore.open(dir.resolve("empty"), 0, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(dir.resolve("empty")).doesNotExist();
    }

    @Test
    void exposesItsFileChannel() throws IOException {
        BlockStore store = newStore(MIB);
        byte[] data = random(6, 512);
        write(store, 4096, data);
        FileChannel channel = store.fileChannel().orElseThrow();
        ByteBuffer back = ByteBuffer.allocate(512);
        channel.read(back, 4096);
        assertThat(back.array()).isEqualTo(data);
    }

    @Test
    void anInterruptFailsOnlyTheInterruptedCall() throws IOException {
        BlockStore store = newStore(MIB);
        write(store, 0, random(7, 4096));
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> store.write(4096, ByteBuffer.wrap(random(8, 4096)), false))
                    .isInstanceOf(ClosedByInterruptException.class);
        } finally {
            Thread.interrupted();
        }
        // FileChannel closed itself on the interrupt; the store reopened it.
        assertThat(read(store, 0, 4096)).isEqualTo(random(7, 4096));
        write(store, 4096, random(9, 4096));
        assertThat(read(store, 4096, 4096)).isEqualTo(random(9, 4096));
        assertThat(store.fileChannel().orElseThrow().isOpen()).isTrue();
    }

    @Test
    void otherThreadsRideOutInterruptsOfOneThread() throws Exception {
        BlockStore store = newStore(MIB);
        byte[] data = random(10, 512); // short reads: many calls, each racing the interrupts
        write(store, 0, data);
        AtomicBoolean stop = new AtomicBoolean();
        // Every reader is inside its loop before the interrupts start: on a loaded machine one could otherwise be
        // scheduled only after they end, and make no read at all.
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(4);
        try (ExecutorService readers = Executors.newFixedThreadPool(4)) {
            List<Future<Integer>> reads = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                reads.add(readers.submit(() -> {
                    int count = 0;
                    started.countDown();
                    while (!stop.get()) {
                        assertSameBytes(read(store, 0, data.length), data, "read beside an interrupted thread");
                        count++;
                    }
                    return count;
                }));
            }
            assertThat(started.await(1, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            for (int i = 0; i < 300; i++) {
                Thread.currentThread().interrupt();
                try {
                    store.read(0, ByteBuffer.allocate(4096));
                } catch (ClosedByInterruptException expected) {
                    // the interrupted call fails; it closed the shared channel for everyone
                } finally {
                    Thread.interrupted();
                }
                store.read(0, ByteBuffer.allocate(512)); // and the interrupted thread carries on after that
                LockSupport.parkNanos(50_000);
            }
            stop.set(true);
            for (Future<Integer> f : reads) {
                assertThat(f.get()).isPositive();
            }
        }
    }

    /** Writes may run on an event loop only into a file whose buffered writes stop in the local page cache. */
    @Test
    void saysWhetherItsWritesStopInTheLocalPageCache() throws IOException {
        String type = Files.getFileStore(dir).type();
        org.junit.jupiter.api.Assumptions.assumeTrue(java.util.Set.of("ext4", "xfs", "btrfs", "tmpfs").contains(type),
                "the test directory is on " + type);
        try (FileBlockStore store = FileBlockStore.open(dir.resolve("local.img"), MIB, true)) {
            assertThat(store.buffersWritesInPageCache()).isTrue();
        }
        assertThat(new MemoryBlockStore(MIB).buffersWritesInPageCache()).isFalse(); // the default: never inline
    }

    /** Reads may leave by sendfile only when they cannot wait for the disk: the store must tell cached from not. */
    @Test
    void knowsWhetherARangeIsInThePageCache() throws IOException {
        try (FileBlockStore store = FileBlockStore.open(dir.resolve("cache.img"), 16 << 20, true)) {
            store.write(1 << 20, ByteBuffer.wrap(new byte[64 << 10]), false);
            assertThat(store.isCached(1 << 20, 64 << 10)).as("just written").isTrue();
            assertThat(store.isCached((1 << 20) + 4096, 512)).as("part of a written page").isTrue();
            assertThat(store.isCached(8 << 20, 64 << 10)).as("a hole never read").isFalse();
            assertThat(store.isCached((1 << 20) + (60 << 10), 8 << 10)).as("half written, half hole").isFalse();
            assertThat(store.isCached(0, 0)).as("nothing").isTrue();
        }
    }

    /**
     * Event loops read inline only what is in memory: a range that would wait for the disk is left to a thread.
     * Data written with O_DIRECT is on the disk and not in the page cache, until a normal read brings it in. RWF_NOWAIT
     * promises not to block, not to refuse: about 1 in 100 times here the kernel's readahead for a missing page
     * completed within the call (virtio disk) and the read succeeded. So a range not in the cache must either be
     * refused with the buffer untouched or be read correctly ({@link #readIfCachedOrRefused}).
     */
    @Test
    void readsWithoutWaitingOnlyWhatIsInThePageCache() throws IOException {
        Path file = dir.resolve("nowait.img");
        byte[] data = random(7, 64 << 10);
        try (FileChannel direct = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                ExtendedOpenOption.DIRECT)) {
            ByteBuffer aligned = ByteBuffer.allocateDirect(data.length + 8192).alignedSlice(4096)
                    .limit(data.length);
            aligned.put(data).flip();
            while (aligned.hasRemaining()) {
                direct.write(aligned, (1 << 20) + aligned.position());
            }
        }
        try (FileBlockStore store = FileBlockStore.open(file, 16 << 20, false)) {
            ByteBuffer onDisk = ByteBuffer.allocateDirect(8 << 10);
            onDisk.position(16).limit(16 + 4096);
            readIfCachedOrRefused(store, 1 << 20, onDisk, java.util.Arrays.copyOf(data, 4096), "on the disk only");
            onDisk.clear().position(16).limit(16 + 4096);

            store.read(1 << 20, ByteBuffer.allocate(4096)); // the first page is cached now
            assertThat(store.readIfCached(1 << 20, onDisk)).as("the page once read").isTrue();
            assertThat(onDisk.position()).isEqualTo(16 + 4096);
            assertThat(bytes(onDisk.flip().position(16))).isEqualTo(java.util.Arrays.copyOf(data, 4096));
            ByteBuffer half = ByteBuffer.allocateDirect(8 << 10);
            readIfCachedOrRefused(store, 1 << 20, half, java.util.Arrays.copyOf(data, 8 << 10),
                    "half cached, half on the disk");

            store.write(3 << 20, ByteBuffer.wrap(data), false);
            ByteBuffer written = ByteBuffer.allocateDirect(data.length);
            assertThat(store.readIfCached(3 << 20, written)).as("just written").isTrue();
            assertThat(bytes(written.flip())).isEqualTo(data);

            assertThat(store.readIfCached(3 << 20, ByteBuffer.allocate(512))).as("heap buffer: no address").isFalse();
            assertThatThrownBy(() -> store.readIfCached(16 << 20, ByteBuffer.allocateDirect(1)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** A read of a range not (wholly) cached: refused with {@code dst} untouched, or done with the right bytes. */
    private static void readIfCachedOrRefused(FileBlockStore store, long offset, ByteBuffer dst, byte[] expected,
                                              String what) {
        int position = dst.position();
        if (store.readIfCached(offset, dst)) {
            assertThat(dst.position()).as(what + ": read whole").isEqualTo(position + expected.length);
            assertThat(bytes(dst.duplicate().flip().position(position))).as(what + ": the data").isEqualTo(expected);
        } else {
            assertThat(dst.position()).as(what + ": left where it was").isEqualTo(position);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void fstatLayoutMatchesTheFile() throws IOException {
        Path file = dir.resolve("stat");
        FileBlockStore.open(file, 3 * MIB + 512, true).close();
        try (LinuxFile linux = LinuxFile.open(file)) {
            Libc.Stat stat = linux.stat();
            assertThat(stat.size()).isEqualTo(3 * MIB + 512); // st_size at offset 48 proves the layout assumption
            assertThat(stat.blocks()).isNotNegative();
        }
    }
}
