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
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What every BlockStore must do; one subclass per implementation. */
abstract class BlockStoreContract {
    static final long MIB = 1 << 20;
    static final int MIB_INT = 1 << 20;

    private final List<BlockStore> opened = new ArrayList<>();

    /** A new, never-written store of {@code size} bytes. */
    protected abstract BlockStore create(long size) throws IOException;

    protected final BlockStore newStore(long size) throws IOException {
        BlockStore store = create(size);
        opened.add(store);
        return store;
    }

    @AfterEach
    void closeStores() throws IOException {
        for (BlockStore store : opened) {
            store.close();
        }
    }

    @Test
    void reportsItsSize() throws IOException {
        assertThat(newStore(3 * MIB + 512).size()).isEqualTo(3 * MIB + 512);
    }

    @Test
    void readsBackWhatWasWrittenThroughHeapAndDirectBuffers() throws IOException {
        BlockStore store = newStore(4 * MIB);
        byte[] data = random(1, 200_000); // crosses several 64 KiB chunks at an unaligned offset
        long offset = 3 * 65_536 - 777;

        ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
        store.write(offset, direct, false);
        assertThat(direct.hasRemaining()).isFalse();

        assertSameBytes(read(store, offset, data.length), data, "heap read");
        ByteBuffer back = ByteBuffer.allocateDirect(data.length);
        store.read(offset, back);
        assertThat(back.position()).isEqualTo(data.length);
        byte[] copy = new byte[data.length];
        back.flip().get(copy);
        assertSameBytes(copy, data, "direct read");
    }

    @Test
    void readsAndWritesOnlyTheBuffersRemainingBytes() throws IOException {
        BlockStore store = newStore(MIB);
        ByteBuffer src = ByteBuffer.wrap(new byte[] {9, 9, 1, 2, 3, 9});
        src.position(2).limit(5);
        store.write(100, src, false);
        ByteBuffer dst = ByteBuffer.allocate(8);
        dst.position(2).limit(7);
        store.read(99, dst);
        assertThat(dst.array()).containsExactly(0, 0, 0, 1, 2, 3, 0, 0);
    }

    @Test
    void neverWrittenRangesReadAsZeros() throws IOException {
        BlockStore store = newStore(8 * MIB);
        write(store, 2 * MIB, random(2, 4096));
        ByteBuffer dirty = ByteBuffer.allocate(300_000);
        while (dirty.hasRemaining()) {
            dirty.put((byte) 0x55);
        }
        store.read(5 * MIB + 3, dirty.clear());
        assertZeros(dirty.array(), "hole");
        assertZeros(read(store, 2 * MIB - 4096, 4096), "just before the written block");
        assertZeros(read(store, 8 * MIB - 4096, 4096), "the end of the store");
    }

    @Test
    void durableWritesAndFlushWork() throws IOException {
        BlockStore store = newStore(MIB);
        byte[] data = random(3, 8192);
        store.write(4096, ByteBuffer.wrap(data), true);
        store.flush();
        assertSameBytes(read(store, 4096, 8192), data, "after a durable write");
    }

    @Test
    void deallocatedRangesReadAsZerosAndTheRestIsKept() throws IOException {
        BlockStore store = newStore(4 * MIB);
        byte[] data = random(4, (int) (3 * MIB));
        write(store, 0, data);
        long from = MIB - 1000;
        long length = MIB + 5000;
        store.deallocate(from, length);

        byte[] after = read(store, 0, data.length);
        for (int i = (int) from; i < from + length; i++) {
            data[i] = 0;
        }
        assertSameBytes(after, data, "after deallocate");
    }

    @ParameterizedTest(name = "deallocate={0} durable={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void writeZeroesCoversRangesLongerThanTheZeroBuffer(boolean deallocate, boolean durable) throws IOException {
        long size = 3L * Zeros.BUFFER_BYTES + 3 * 65_536;
        BlockStore store = newStore(size);
        byte[] data = random(5, (int) size);
        write(store, 0, data);
        long from = 65_536 + 512;
        long length = 2L * Zeros.BUFFER_BYTES + 70_001;
        store.writeZeroes(from, length, deallocate, durable);
        for (int i = (int) from; i < from + length; i++) {
            data[i] = 0;
        }
        assertSameBytes(read(store, 0, (int) size), data, "after writeZeroes");
    }

    @Test
    void zeroLengthCallsAtTheEndAreFine() throws IOException {
        BlockStore store = newStore(MIB);
        store.read(MIB, ByteBuffer.allocate(0));
        store.write(MIB, ByteBuffer.allocate(0), true);
        store.writeZeroes(MIB, 0, true, true);
        store.deallocate(MIB, 0);
        BlockStore.copy(store, MIB, store, 0, 0, true);
        assertThat(store.allocatedBytes()).isLessThan(64 * 1024);
    }

    @ParameterizedTest(name = "offset={0} length={1}")
    @CsvSource({
        "-1, 16",
        "0, -1",
        "1048560, 17",       // ends one byte past the end
        "1048577, 0",        // starts past the end
        "9223372036854775807, 1",
        "16, 9223372036854775807", // offset + length overflows
    })
    void rejectsRangesOutsideTheStore(long offset, long length) throws IOException {
        BlockStore store = newStore(MIB);
        String[] named = {"offset=" + offset, "length=" + length, String.valueOf(MIB)};
        int bufferLength = (int) Math.max(0, Math.min(length, 64));
        if (length >= 0 && length <= 64) {
            assertThatThrownBy(() -> store.read(offset, ByteBuffer.allocate(bufferLength)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll(named);
            assertThatThrownBy(() -> store.write(offset, ByteBuffer.allocate(bufferLength), false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll(named);
        }
        assertThatThrownBy(() -> store.writeZeroes(offset, length, false, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll(named);
        assertThatThrownBy(() -> store.writeZeroes(offset, length, true, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll(named);
        assertThatThrownBy(() -> store.deallocate(offset, length))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll(named);
        assertThatThrownBy(() -> BlockStore.copy(store, offset, store, 0, length, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll(named);
        assertThatThrownBy(() -> BlockStore.copy(store, 0, store, offset, length, false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A gathering write lands like the same bytes written in one piece: random splits into direct and heap buffers
     * (some empty, some starting inside a larger buffer), at random offsets, checked against a byte-array model.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void gatheringWritesMatchAByteArrayModel(long seed) throws IOException {
        int size = (int) (2 * MIB);
        BlockStore store = newStore(size);
        byte[] model = new byte[size];
        java.util.Random random = new java.util.Random(seed);
        for (int round = 0; round < 20; round++) {
            int length = 1 + random.nextInt(256 * 1024);
            int offset = random.nextInt(size - length + 1);
            byte[] data = random(seed * 100 + round, length);
            List<ByteBuffer> parts = new ArrayList<>();
            int at = 0;
            while (at < length) {
                int n = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(Math.min(length - at, 70_000));
                int lead = random.nextInt(16);
                ByteBuffer b = random.nextBoolean() ? ByteBuffer.allocateDirect(lead + n) : ByteBuffer.allocate(lead + n);
                b.position(lead);
                b.put(data, at, n);
                b.position(lead);
                parts.add(b);
                at += n;
            }
            ByteBuffer[] srcs = parts.toArray(ByteBuffer[]::new);
            store.write(offset, srcs, random.nextInt(5) == 0);
            for (ByteBuffer b : srcs) {
                assertThat(b.hasRemaining()).as("every buffer consumed").isFalse();
            }
            System.arraycopy(data, 0, model, offset, length);
        }
        assertSameBytes(read(store, 0, size), model, "store after gathering writes");
    }

    @Test
    void gatheringWritesTakeMoreBuffersThanOneSystemCall() throws IOException {
        BlockStore store = newStore(MIB);
        byte[] data = random(77, 3000 * 100);
        ByteBuffer[] srcs = new ByteBuffer[3000]; // above IOV_MAX (1024)
        for (int i = 0; i < srcs.length; i++) {
            srcs[i] = ByteBuffer.allocateDirect(100).put(data, i * 100, 100).flip();
        }
        store.write(4096, srcs, false);
        assertSameBytes(read(store, 4096, data.length), data, "3000 buffers of 100 bytes");
    }

    @Test
    void gatheringWritesOutsideTheStoreAreRefusedBeforeAnythingIsWritten() throws IOException {
        BlockStore store = newStore(MIB);
        ByteBuffer[] srcs = {ByteBuffer.allocateDirect(MIB_INT / 2), ByteBuffer.allocateDirect(MIB_INT / 2 + 1)};
        srcs[0].put(0, (byte) 1);
        assertThatThrownBy(() -> store.write(0, srcs, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("offset=0", "length=" + (MIB + 1));
        assertZeros(read(store, 0, 16), "nothing written");
        assertThat(srcs[0].position()).isZero();
    }

    @Test
    void concurrentWritersToDisjointRangesDoNotDisturbEachOther() throws Exception {
        int threads = 16;
        int blocksPerThread = 32;
        int block = 4096;
        // Interleave the threads' blocks so neighbours share chunks and filesystem pages.
        BlockStore store = newStore((long) threads * blocksPerThread * block);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < blocksPerThread; i++) {
                        long offset = ((long) i * threads + thread) * block;
                        store.write(offset, ByteBuffer.wrap(random(offset, block)), i % 4 == 0);
                        assertSameBytes(read(store, offset, block), random(offset, block), "own block");
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        for (long offset = 0; offset < store.size(); offset += block) {
            assertSameBytes(read(store, offset, block), random(offset, block), "block at " + offset);
        }
    }

    @Test
    void closedStoresRefuseWorkAndCloseTwiceQuietly() throws IOException {
        BlockStore store = create(MIB);
        write(store, 0, random(6, 512));
        store.close();
        store.close();
        assertThatThrownBy(() -> store.read(0, ByteBuffer.allocate(512))).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> store.write(0, ByteBuffer.allocate(512), false))
                .isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> store.writeZeroes(0, 512, true, false)).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> store.deallocate(0, 512)).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(store::flush).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(store::allocatedBytes).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void extentsTileTheStoreAndHolesReadAsZeros() throws IOException {
        BlockStore store = newStore(8 * MIB);
        write(store, 2 * MIB, random(7, (int) MIB));
        write(store, 5 * MIB, random(8, (int) MIB));
        store.deallocate(5 * MIB, 512 * 1024);
        long at = 0;
        long allocated = 0;
        while (at < store.size()) {
            BlockStore.Extent e = store.extentAt(at);
            assertThat(e.offset()).isEqualTo(at);
            assertThat(e.length()).isPositive();
            assertThat(e.end()).isLessThanOrEqualTo(store.size());
            if (!e.allocated()) {
                assertZeros(read(store, e.offset(), (int) e.length()), "hole at " + e.offset());
            } else {
                allocated += e.length();
            }
            at = e.end();
        }
        // The written megabytes are allocated (whatever a store does with the rest).
        assertThat(allocated).isGreaterThanOrEqualTo(MIB + 512 * 1024);
        assertThatThrownBy(() -> store.extentAt(store.size())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.extentAt(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
