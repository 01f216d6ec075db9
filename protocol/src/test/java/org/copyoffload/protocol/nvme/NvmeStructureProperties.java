package org.copyoffload.protocol.nvme;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Seeded properties: random SQEs and CQEs encode to the spec layout (built with {@link Le}) and decode back. */
class NvmeStructureProperties {

    static LongStream seeds() {
        return LongStream.range(0, 30);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void sqeMatchesTheLayoutAndRoundTrips(long seed) {
        Random r = new Random(seed);
        for (int i = 0; i < 150; i++) {
            int opcode = r.nextInt(256);
            int flags = r.nextInt(256);
            int cid = r.nextInt(0x10000);
            int nsid = r.nextInt();
            int cdw2 = r.nextInt();
            int cdw3 = r.nextInt();
            long mptr = r.nextLong();
            long address = r.nextLong();
            int length = r.nextInt();
            int reserved = r.nextInt(1 << 24);
            int id = r.nextInt(256);
            int[] cdw = r.ints(6).toArray();
            SubmissionQueueEntry sqe = new SubmissionQueueEntry(opcode, flags, cid, nsid, cdw2, cdw3, mptr,
                    new SglDescriptor(address, length, reserved, id), cdw[0], cdw[1], cdw[2], cdw[3], cdw[4], cdw[5]);
            Le le = new Le(64).u8(0, opcode).u8(1, flags).u16(2, cid).u32(4, nsid).u32(8, cdw2).u32(12, cdw3)
                    .u64(16, mptr).u64(24, address).u32(32, length).u24(36, reserved).u8(39, id);
            for (int k = 0; k < 6; k++) {
                le.u32(40 + 4 * k, cdw[k]);
            }
            ByteBuf b = NvmeSamples.buf(new byte[64]);
            try {
                sqe.encode(b, 0);
                assertThat(ByteBufUtil.getBytes(b)).as("seed %d #%d", seed, i).isEqualTo(le.array());
                assertThat(SubmissionQueueEntry.decode(b, 0)).as("seed %d #%d", seed, i).isEqualTo(sqe);
                assertThat(sqe.fuse()).isEqualTo(flags & 3);
                assertThat(sqe.psdt()).isEqualTo(flags >>> 6);
            } finally {
                b.release();
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void cqeMatchesTheLayoutAndRoundTrips(long seed) {
        Random r = new Random(seed);
        for (int i = 0; i < 150; i++) {
            int dw0 = r.nextInt();
            int dw1 = r.nextInt();
            int sqhd = r.nextInt(0x10000);
            int sqid = r.nextInt(0x10000);
            int cid = r.nextInt(0x10000);
            int sct = r.nextInt(8);
            int sc = r.nextInt(256);
            int crd = r.nextInt(4);
            boolean more = r.nextBoolean();
            boolean dnr = r.nextBoolean();
            CompletionQueueEntry cqe = new CompletionQueueEntry(dw0, dw1, sqhd, sqid, cid,
                    new NvmeStatus(sct, sc, crd, more, dnr));
            int field = sc << 1 | sct << 9 | crd << 12 | (more ? 1 << 14 : 0) | (dnr ? 1 << 15 : 0);
            byte[] expected = new Le(16).u32(0, dw0).u32(4, dw1).u16(8, sqhd).u16(10, sqid).u16(12, cid)
                    .u16(14, field).array();
            ByteBuf b = NvmeSamples.buf(new byte[16]);
            try {
                cqe.encode(b, 0);
                assertThat(ByteBufUtil.getBytes(b)).as("seed %d #%d", seed, i).isEqualTo(expected);
                assertThat(CompletionQueueEntry.decode(b, 0)).as("seed %d #%d", seed, i).isEqualTo(cqe);
            } finally {
                b.release();
            }
        }
    }
}
