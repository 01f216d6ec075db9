package org.copyoffload.protocol.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.copyoffload.protocol.testing.Le;

/** One SQE and one CQE with every byte distinct, as objects and as the bytes the spec lays out. */
public final class NvmeSamples {
    private NvmeSamples() {
    }

    public static SubmissionQueueEntry sqe() {
        return new SubmissionQueueEntry(0x01, 0x40, 0xBEEF, 0x01020304, 0x11121314, 0x21222324, 0x3132333435363738L,
                new SglDescriptor(0x4142434445464748L, 0x51525354, 0x616263, 0x01),
                0xA0A1A2A3, 0xB0B1B2B3, 0xC0C1C2C3, 0xD0D1D2D3, 0xE0E1E2E3, 0xF0F1F2F3);
    }

    /** NVMe Base 2.1 Figure 91: opcode, flags, CID, NSID, CDW2, CDW3, MPTR, SGL1 (address, length, 3 reserved, id), CDW10-15. */
    public static byte[] sqeBytes() {
        return new Le(64)
                .u8(0, 0x01).u8(1, 0x40).u16(2, 0xBEEF).u32(4, 0x01020304)
                .u32(8, 0x11121314).u32(12, 0x21222324).u64(16, 0x3132333435363738L)
                .u64(24, 0x4142434445464748L).u32(32, 0x51525354L).u24(36, 0x616263).u8(39, 0x01)
                .u32(40, 0xA0A1A2A3L).u32(44, 0xB0B1B2B3L).u32(48, 0xC0C1C2C3L)
                .u32(52, 0xD0D1D2D3L).u32(56, 0xE0E1E2E3L).u32(60, 0xF0F1F2F3L)
                .array();
    }

    public static CompletionQueueEntry cqe() {
        return new CompletionQueueEntry(0x04030201, 0x08070605, 0x0A09, 0x0C0B, 0x0E0D,
                new NvmeStatus(1, 0x83, 2, true, true));
    }

    /** Figure 92: DW0, DW1, SQHD, SQID, CID, status (P=0, SC=83h, SCT=1, CRD=2, M, DNR: 0xE306). */
    public static byte[] cqeBytes() {
        return new Le(16).u32(0, 0x04030201).u32(4, 0x08070605).u16(8, 0x0A09).u16(10, 0x0C0B).u16(12, 0x0E0D)
                .u16(14, 0xE306).array();
    }

    /** A leak-tracked (direct) buffer holding the bytes; the caller releases it. */
    public static ByteBuf buf(byte[] bytes) {
        ByteBuf b = Unpooled.directBuffer(Math.max(bytes.length, 1));
        b.writeBytes(bytes);
        return b;
    }

    public static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }
}
