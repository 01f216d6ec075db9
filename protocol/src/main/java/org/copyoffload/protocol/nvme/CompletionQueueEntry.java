package org.copyoffload.protocol.nvme;

import io.netty.buffer.ByteBuf;

/** A 16-byte completion queue entry (NVMe Base 2.1, 4.2.1, Figure 92). The phase tag is unused over fabrics. */
public record CompletionQueueEntry(int dw0, int dw1, int sqHead, int sqId, int cid, NvmeStatus status) {
    public static final int SIZE = 16;

    public static CompletionQueueEntry decode(ByteBuf in, int index) {
        return new CompletionQueueEntry(in.getIntLE(index), in.getIntLE(index + 4),
                in.getUnsignedShortLE(index + 8), in.getUnsignedShortLE(index + 10),
                in.getUnsignedShortLE(index + 12), NvmeStatus.fromField(in.getUnsignedShortLE(index + 14)));
    }

    public void encode(ByteBuf out, int index) {
        out.setIntLE(index, dw0);
        out.setIntLE(index + 4, dw1);
        out.setShortLE(index + 8, sqHead);
        out.setShortLE(index + 10, sqId);
        out.setShortLE(index + 12, cid);
        out.setShortLE(index + 14, status.toField());
    }

    /** Dwords 0 and 1 as one 64-bit value (Property Get of an 8-byte property). */
    public long dw01() {
        return Integer.toUnsignedLong(dw0) | ((long) dw1 << 32);
    }
}
