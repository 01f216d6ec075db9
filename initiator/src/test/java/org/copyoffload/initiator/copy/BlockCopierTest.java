package org.copyoffload.initiator.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The copy path's decisions and error paths, one case each. */
class BlockCopierTest {
    static final int BLOCK = 512;
    final Object controller = new Object();

    MemoryDevice device(String name, Object ctrl) {
        MemoryDevice d = new MemoryDevice(name, 64, BLOCK, ctrl);
        new Random(name.hashCode()).nextBytes(d.bytes);
        return d;
    }

    @Test
    void aCopyInsideOneCapableDeviceIsOffloadedWhole() {
        MemoryDevice a = device("a", controller);
        byte[] expected = BlockCopierProperties.readAll(a, 0, 8 * BLOCK);
        CopyResult r = new BlockCopier().copy(a, 0, a, 16 * BLOCK, 8 * BLOCK).join();
        assertThat(r.bytesOffloaded()).isEqualTo(8 * BLOCK);
        assertThat(r.fallbacks()).isEmpty();
        assertThat(a.copyCommands).isEqualTo(1);
        assertThat(BlockCopierProperties.readAll(a, 16 * BLOCK, 8 * BLOCK)).isEqualTo(expected);
    }

    @Test
    void aLinearDeviceOverTwoDevicesOffloadsEachHalfOnItsOwnDevice() {
        MemoryDevice a = device("a", controller);
        MemoryDevice b = device("b", new Object());
        LinearDevice linear = new LinearDevice("linear", List.of(new LinearDevice.Segment(a, 0, 32 * BLOCK),
                new LinearDevice.Segment(b, 0, 32 * BLOCK)));
        // Source blocks 0-7 on a, destination 16-23 on a: offloaded. Source 32-39 on b, destination 48-55 on b: also.
        CopyResult inside = new BlockCopier().copy(linear, 0, linear, 16 * BLOCK, 8 * BLOCK).join();
        assertThat(inside.bytesOffloaded()).isEqualTo(8 * BLOCK);
        // Source 8-15 on a, destination 36-43 on b: different controllers, copied by the host.
        CopyResult across = new BlockCopier().copy(linear, 8 * BLOCK, linear, 36 * BLOCK, 8 * BLOCK).join();
        assertThat(across.fallbacks()).singleElement().satisfies(f -> {
            assertThat(f.reason()).isEqualTo(FallbackReason.DIFFERENT_DEVICES);
            assertThat(f.length()).isEqualTo(8 * BLOCK);
        });
        assertThat(BlockCopierProperties.readAll(linear, 36 * BLOCK, 8 * BLOCK))
                .isEqualTo(BlockCopierProperties.readAll(a, 8 * BLOCK, 8 * BLOCK));
    }

    @Test
    void aPartialOffloadFallsBackForExactlyTheRest() {
        MemoryDevice a = device("a", controller);
        a.copyStopsAfter = 3 * BLOCK;
        byte[] expected = BlockCopierProperties.readAll(a, 0, 8 * BLOCK);
        CopyResult r = new BlockCopier().copy(a, 0, a, 32 * BLOCK, 8 * BLOCK).join();
        assertThat(r.bytesOffloaded()).isEqualTo(3 * BLOCK);
        assertThat(r.fallbacks()).containsExactly(new CopyResult.Fallback(3 * BLOCK, 5 * BLOCK,
                FallbackReason.PARTIAL_COPY, "a: injected stop"));
        assertThat(BlockCopierProperties.readAll(a, 32 * BLOCK, 8 * BLOCK)).isEqualTo(expected);
    }

    @Test
    void intoASequentialDeviceOffloadsAndFallbacksGoInOrderAtTheWritePointer() {
        MemoryDevice a = device("a", controller);
        MemoryDevice b = device("b", new Object());
        MemoryDevice zone = device("zone", controller);
        zone.sequential = true;
        // Source blocks alternate between a (can be offloaded into the zone) and b (cannot) every 4 blocks.
        java.util.List<LinearDevice.Segment> segments = new java.util.ArrayList<>();
        for (int k = 0; k < 8; k++) {
            segments.add(new LinearDevice.Segment(k % 2 == 0 ? a : b, k * 4 * BLOCK, 4 * BLOCK));
        }
        LinearDevice source = new LinearDevice("mixed", segments);
        byte[] expected = BlockCopierProperties.readAll(source, 0, 32 * BLOCK);
        // Small chunks: the fallback of each 4-block run is several writes, which must still come in order.
        CopyResult r = new BlockCopier(BLOCK, 8).copy(source, 0, zone, 0, 32 * BLOCK).join();
        assertThat(r.bytesOffloaded()).isEqualTo(16 * BLOCK);
        assertThat(r.fallbacks()).hasSize(4).allSatisfy(f ->
                assertThat(f.reason()).isEqualTo(FallbackReason.DIFFERENT_DEVICES));
        assertThat(zone.writePointer).isEqualTo(32 * BLOCK);
        assertThat(BlockCopierProperties.readAll(zone, 0, 32 * BLOCK)).isEqualTo(expected);

        MemoryDevice other = device("other", null);
        other.sequential = true;
        CopyResult hostDriven = new BlockCopier(BLOCK, 8).copyHostDriven(a, 0, other, 0, 16 * BLOCK).join();
        assertThat(hostDriven.bytesByFallback()).isEqualTo(16 * BLOCK);
        assertThat(other.writePointer).isEqualTo(16 * BLOCK);
    }

    @Test
    void aHostDrivenCopyOffloadsNothing() {
        MemoryDevice a = device("a", controller);
        CopyResult r = new BlockCopier().copyHostDriven(a, 0, a, 32 * BLOCK, 8 * BLOCK).join();
        assertThat(r.bytesByFallback()).isEqualTo(8 * BLOCK);
        assertThat(r.fallbacks()).singleElement().extracting(CopyResult.Fallback::reason)
                .isEqualTo(FallbackReason.FORCED_HOST_DRIVEN);
        assertThat(a.copyCommands).isZero();
    }

    @Test
    void progressIsToldEveryPieceOnceAsItIsDoneOffloadedOrNot() {
        MemoryDevice a = device("a", controller);
        a.copyStopsAfter = 3 * BLOCK;
        java.util.Queue<Long> told = new java.util.concurrent.ConcurrentLinkedQueue<>();
        // 3 blocks offloaded, then the 5 the device left, one block per READ + WRITE.
        new BlockCopier(BLOCK, 2, told::add).copy(a, 0, a, 32 * BLOCK, 8 * BLOCK).join();
        assertThat(told).containsExactly(3L * BLOCK, (long) BLOCK, (long) BLOCK, (long) BLOCK, (long) BLOCK,
                (long) BLOCK);

        MemoryDevice zone = device("zone", null);
        zone.sequential = true;
        told.clear();
        new BlockCopier().withProgress(told::add).copyHostDriven(a, 0, zone, 0, 16 * BLOCK).join();
        assertThat(told).containsExactly(16L * BLOCK);
    }

    @Test
    void aReadErrorInTheFallbackFailsTheCopy() {
        MemoryDevice a = device("a", null);
        a.failReads = true;
        assertThatThrownBy(() -> new BlockCopier().copy(a, 0, a, 32 * BLOCK, 8 * BLOCK).join())
                .isInstanceOf(CompletionException.class).hasCauseInstanceOf(CopyFailedException.class)
                .hasMessageContaining("injected read error");
    }

    @Test
    void overlappingMisalignedAndOutOfRangeCopiesAreRefusedBeforeAnythingIsWritten() {
        MemoryDevice a = device("a", controller);
        byte[] before = a.bytes.clone();
        BlockCopier copier = new BlockCopier();
        assertThatThrownBy(() -> copier.copy(a, 0, a, 4 * BLOCK, 8 * BLOCK).join())
                .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlap");
        assertThatThrownBy(() -> copier.copy(a, 100, a, 32 * BLOCK, BLOCK).join())
                .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("not aligned");
        assertThatThrownBy(() -> copier.copy(a, 0, a, 60 * BLOCK, 8 * BLOCK).join())
                .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside");
        assertThat(a.bytes).isEqualTo(before);
        assertThat(a.copyCommands).isZero();
    }

    @Test
    void aStackWithACycleIsReportedNotFollowedForever() {
        MappedDevice loop = new MappedDevice() {
            @Override
            public List<Extent> map(long offset, long length) {
                return List.of(new Extent(this, offset, length));
            }

            @Override
            public java.util.Optional<String> forbidsCopy() {
                return java.util.Optional.empty();
            }

            @Override
            public String name() {
                return "loop";
            }

            @Override
            public long size() {
                return 64 * BLOCK;
            }

            @Override
            public int blockSize() {
                return BLOCK;
            }

            @Override
            public java.util.concurrent.CompletableFuture<io.netty.buffer.ByteBuf> read(long offset, int length) {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.util.concurrent.CompletableFuture<Void> write(long offset, io.netty.buffer.ByteBuf data) {
                throw new UnsupportedOperationException();
            }
        };
        assertThatThrownBy(() -> new BlockCopier().copy(loop, 0, loop, 32 * BLOCK, BLOCK).join())
                .hasMessageContaining("cycle");
    }
}
