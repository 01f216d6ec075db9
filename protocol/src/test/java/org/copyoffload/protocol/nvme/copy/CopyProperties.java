package org.copyoffload.protocol.nvme.copy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Seeded properties: random Copy commands and Source Range lists match the hand layout and round-trip exactly. */
class CopyProperties {

    static LongStream seeds() {
        return LongStream.range(0, 30);
    }

    static CopySourceRange randomRange(Random r, CopyDescriptorFormat f) {
        boolean cross = f.namesSourceNamespace();
        boolean wide = f.hasWideTags();
        return new CopySourceRange(f, cross ? r.nextInt() : 0, r.nextLong(), r.nextInt(0x10000), r.nextInt(16),
                r.nextInt(0x10000), cross ? r.nextInt(0x10000) : 0, wide ? r.nextInt(0x10000) : 0,
                wide ? r.nextLong() : r.nextLong() >>> 32, r.nextInt(0x10000), r.nextInt(0x10000),
                r.nextInt(4) == 0 ? r.nextLong() & CopySourceRange.reservedMask0(f) : 0,
                r.nextInt(4) == 0 ? r.nextLong() & CopySourceRange.reservedMask18(f) : 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void rangeListsMatchTheLayoutAndRoundTrip(long seed) {
        Random r = new Random(seed);
        for (int round = 0; round < 8; round++) {
            CopyDescriptorFormat f = CopyDescriptorFormat.values()[r.nextInt(4)];
            int count = 1 + r.nextInt(256);
            List<CopySourceRange> ranges = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ranges.add(randomRange(r, f));
            }
            byte[] expected = Entries.images(ranges);
            assertThat(expected).as("seed %d round %d: %d x %s", seed, round, count, f)
                    .hasSize(count * f.entrySize());
            assertThat(Entries.encodeUntracked(ranges)).as("seed %d round %d: %d x %s encode", seed, round, count, f)
                    .isEqualTo(expected);
            assertThat(Entries.decodeUntracked(expected, f, count)).as("seed %d round %d: %d x %s decode", seed, round, count, f)
                    .isEqualTo(ranges);
        }
    }

    /** Any bytes at all decode, and re-encode to the same bytes: every bit is a field or a kept reserved bit. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void arbitraryBytesRoundTripExactly(long seed) {
        Random r = new Random(seed);
        for (int round = 0; round < 8; round++) {
            CopyDescriptorFormat f = CopyDescriptorFormat.values()[r.nextInt(4)];
            int count = 1 + r.nextInt(256);
            byte[] bytes = new byte[count * f.entrySize()];
            r.nextBytes(bytes);
            List<CopySourceRange> ranges = Entries.decodeUntracked(bytes, f, count);
            assertThat(ranges).hasSize(count);
            assertThat(Entries.encodeUntracked(ranges)).as("seed %d round %d: %d x %s", seed, round, count, f).isEqualTo(bytes);
            assertThat(Entries.images(ranges)).as("seed %d round %d: hand layout", seed, round).isEqualTo(bytes);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void copySqesRoundTripExactly(long seed) {
        Random r = new Random(seed);
        for (int i = 0; i < 200; i++) {
            int cid = r.nextInt(0x10000);
            SglDescriptor sgl = new SglDescriptor(r.nextLong(), r.nextInt(), r.nextInt(1 << 24), r.nextInt(256));
            SubmissionQueueEntry sqe = new SubmissionQueueEntry(0x19, 0x40, cid, r.nextInt(), r.nextInt(), r.nextInt(), 0,
                    sgl, r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt());
            CopyCommand c = CopyCommand.from(sqe);
            assertThat(c.toSqe(cid, sgl)).as("seed %d #%d", seed, i).isEqualTo(sqe);

            ByteBuf b = NvmeSamples.buf(new byte[64]);
            try {
                c.toSqe(cid, sgl).encode(b, 0);
                byte[] bytes = ByteBufUtil.getBytes(b);
                int c12 = sqe.cdw12();
                assertThat(bytes[48] & 0xFF).as("seed %d #%d NR", seed, i).isEqualTo(c.nr());
                assertThat(bytes[49] & 0xF).as("seed %d #%d DESFMT", seed, i).isEqualTo(c.desfmt());
                assertThat((bytes[49] & 0xFF) >>> 4).as("seed %d #%d PRINFOR", seed, i).isEqualTo(c.prinfor());
                assertThat((bytes[51] & 0xFF) >>> 2 & 0xF).as("seed %d #%d PRINFOW", seed, i).isEqualTo(c.prinfow());
                assertThat(c.lr()).as("seed %d #%d LR", seed, i).isEqualTo(c12 < 0);
                assertThat(CopyCommand.from(SubmissionQueueEntry.decode(b, 0))).as("seed %d #%d", seed, i).isEqualTo(c);
            } finally {
                b.release();
            }
        }
    }
}
