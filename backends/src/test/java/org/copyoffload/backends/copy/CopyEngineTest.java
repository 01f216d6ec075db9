package org.copyoffload.backends.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.nio.channels.FileChannel;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.backends.store.MemoryBlockStore;
import org.junit.jupiter.api.Test;

class CopyEngineTest {
    private final CopyEngine engine = new CopyEngine(MemoryBlockStore::new);

    @Test
    void disjointSegmentsGoDirect() {
        MemoryBlockStore s = new MemoryBlockStore(1 << 20);
        List<CopySegment> segs = List.of(new CopySegment(s, 0, 4096), new CopySegment(s, 8192, 4096));
        assertThat(CopyEngine.plan(segs, s, 65536)).isEqualTo(CopyEngine.Plan.DIRECT);
    }

    @Test
    void aSegmentOverlappingItsOwnDestinationStillGoesDirect() {
        MemoryBlockStore s = new MemoryBlockStore(1 << 20);
        assertThat(CopyEngine.plan(List.of(new CopySegment(s, 100, 4096)), s, 200)).isEqualTo(CopyEngine.Plan.DIRECT);
    }

    @Test
    void aSegmentReadingWhatAnEarlierOneWroteGoesThroughATemporary() {
        MemoryBlockStore s = new MemoryBlockStore(1 << 20);
        List<CopySegment> segs = List.of(new CopySegment(s, 0, 4096), new CopySegment(s, 65536, 4096));
        assertThat(CopyEngine.plan(segs, s, 65536)).isEqualTo(CopyEngine.Plan.THROUGH_TEMPORARY);
    }

    @Test
    void anotherStoreNeverNeedsATemporary() {
        MemoryBlockStore s = new MemoryBlockStore(1 << 20);
        MemoryBlockStore t = new MemoryBlockStore(1 << 20);
        assertThat(CopyEngine.plan(List.of(new CopySegment(t, 0, 4096), new CopySegment(t, 0, 4096)), s, 0))
                .isEqualTo(CopyEngine.Plan.DIRECT);
    }

    @Test
    void aFailingSourceNamesTheSegmentsCopiedBeforeIt() throws IOException {
        MemoryBlockStore good = new MemoryBlockStore(1 << 20);
        good.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), false);
        MemoryBlockStore dst = new MemoryBlockStore(1 << 20);
        BlockStore broken = new FailingStore(1 << 20);
        List<CopySegment> segs = List.of(new CopySegment(good, 0, 4), new CopySegment(good, 0, 4),
                new CopySegment(broken, 0, 4), new CopySegment(good, 0, 4));
        assertThatThrownBy(() -> engine.copy(segs, dst, 100, false))
                .isInstanceOfSatisfying(CopyFailedException.class, e -> assertThat(e.segmentsCopied()).isEqualTo(2));
        ByteBuffer b = ByteBuffer.allocate(8);
        dst.read(100, b);
        assertThat(b.array()).containsExactly(1, 2, 3, 4, 1, 2, 3, 4);
    }

    @Test
    void aFailureWhileGatheringCopiesNothing() throws IOException {
        MemoryBlockStore s = new MemoryBlockStore(1 << 20);
        BlockStore broken = new FailingStore(1 << 20);
        List<CopySegment> segs = List.of(new CopySegment(s, 0, 4096), new CopySegment(s, 65536, 4096),
                new CopySegment(broken, 0, 4096));
        assertThatThrownBy(() -> engine.copy(segs, s, 65536, false))
                .isInstanceOfSatisfying(CopyFailedException.class, e -> assertThat(e.segmentsCopied()).isZero());
    }

    /** Reads fail: a source that has gone bad. */
    private static final class FailingStore implements BlockStore {
        private final long size;

        FailingStore(long size) {
            this.size = size;
        }

        @Override public long size() { return size; }
        @Override public void read(long offset, ByteBuffer dst) throws IOException { throw new IOException("EIO reading"); }
        @Override public void write(long offset, ByteBuffer src, boolean durable) throws IOException { throw new IOException("EIO writing"); }
        @Override public void writeZeroes(long offset, long length, boolean deallocate, boolean durable) throws IOException { throw new IOException("EIO"); }
        @Override public void deallocate(long offset, long length) throws IOException { throw new IOException("EIO"); }
        @Override public void flush() { }
        @Override public long allocatedBytes() { return 0; }
        @Override public Optional<FileChannel> fileChannel() { return Optional.empty(); }
        @Override public void close() { }
    }
}
