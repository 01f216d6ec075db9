package org.copyoffload.protocol.nvme.tcp;

import static org.copyoffload.protocol.nvme.NvmeSamples.buf;

import io.netty.buffer.ByteBuf;
import java.util.Random;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/** Random well-formed PDUs for one direction, with random field values and data sizes (0, tiny, small, large). */
final class RandomPdus {
    private RandomPdus() {
    }

    static NvmeTcpPdu next(Random r, boolean hostToController, int maxData) {
        if (hostToController) {
            return switch (r.nextInt(10)) {
                case 0 -> new NvmeTcpPdu.IcReq(0, r.nextInt(32), r.nextBoolean(), r.nextBoolean(), r.nextInt());
                case 1 -> termReq(r, true);
                case 2, 3, 4, 5 -> new NvmeTcpPdu.CapsuleCmd(sqe(r), data(r, 0, maxData), true);
                default -> new NvmeTcpPdu.H2cData(r.nextInt(0x10000), r.nextInt(0x10000), r.nextInt(), r.nextBoolean(),
                        data(r, 1, maxData), true);
            };
        }
        return switch (r.nextInt(10)) {
            case 0 -> new NvmeTcpPdu.IcResp(0, r.nextInt(32), r.nextBoolean(), r.nextBoolean(),
                    4096 + r.nextInt(Integer.MAX_VALUE - 4096));
            case 1 -> termReq(r, false);
            case 2, 3, 4 -> new NvmeTcpPdu.CapsuleResp(cqe(r));
            case 5, 6 -> new NvmeTcpPdu.R2t(r.nextInt(0x10000), r.nextInt(0x10000), r.nextInt(), r.nextInt());
            default -> new NvmeTcpPdu.C2hData(r.nextInt(0x10000), r.nextInt(), r.nextBoolean(), r.nextBoolean(),
                    data(r, 1, maxData), true);
        };
    }

    private static NvmeTcpPdu.TermReq termReq(Random r, boolean fromHost) {
        FatalErrorStatus[] all = FatalErrorStatus.values();
        return new NvmeTcpPdu.TermReq(fromHost, all[r.nextInt(all.length)], r.nextInt(),
                bytes(r, r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(NvmeTcpPdu.TermReq.MAX_DATA)));
    }

    static SubmissionQueueEntry sqe(Random r) {
        return new SubmissionQueueEntry(r.nextInt(256), r.nextInt(256), r.nextInt(0x10000), r.nextInt(), r.nextInt(),
                r.nextInt(), r.nextLong(), new SglDescriptor(r.nextLong(), r.nextInt(), r.nextInt(1 << 24), r.nextInt(256)),
                r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt());
    }

    static CompletionQueueEntry cqe(Random r) {
        return new CompletionQueueEntry(r.nextInt(), r.nextInt(), r.nextInt(0x10000), r.nextInt(0x10000),
                r.nextInt(0x10000), NvmeStatus.fromField(r.nextInt(0x10000)));
    }

    /** A data size of at least {@code min}: often the edges, sometimes up to {@code max}. */
    static int size(Random r, int min, int max) {
        return switch (r.nextInt(6)) {
            case 0 -> min;
            case 1 -> min + r.nextInt(4);
            case 2 -> min + r.nextInt(64);
            case 3 -> min + r.nextInt(4096);
            case 4 -> max;
            default -> min + r.nextInt(max - min + 1);
        };
    }

    private static ByteBuf data(Random r, int min, int max) {
        return bytes(r, size(r, min, max));
    }

    private static ByteBuf bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return buf(b);
    }
}
