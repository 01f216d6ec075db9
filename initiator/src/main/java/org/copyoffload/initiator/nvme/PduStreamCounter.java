package org.copyoffload.initiator.nvme;

import io.netty.buffer.ByteBuf;

/**
 * Follows PDU boundaries in one direction of a byte stream, from each common header's type and PLEN,
 * so bytes are counted per PDU type exactly as they cross the socket, however the stream is chunked.
 */
final class PduStreamCounter {
    private static final int COMMON_HEADER = 8;

    /** Receives what the counter sees: bytes of the current PDU's type, and each PDU once its header is whole. */
    interface Sink {
        void bytes(int bucket, long count);

        void pdu(int bucket);
    }

    private final Sink sink;
    private final byte[] header = new byte[COMMON_HEADER];
    private int headerFill;
    private long remaining;
    private int bucket = TrafficCounters.UNKNOWN;

    PduStreamCounter(Sink sink) {
        this.sink = sink;
    }

    void count(ByteBuf buf) {
        int index = buf.readerIndex();
        int end = buf.writerIndex();
        while (index < end) {
            if (remaining > 0) {
                int n = (int) Math.min(remaining, end - index);
                sink.bytes(bucket, n);
                remaining -= n;
                index += n;
                continue;
            }
            int n = Math.min(COMMON_HEADER - headerFill, end - index);
            buf.getBytes(index, header, headerFill, n);
            if (headerFill == 0) {
                bucket = TrafficCounters.bucket(header[0] & 0xFF);
            }
            headerFill += n;
            index += n;
            sink.bytes(bucket, n);
            if (headerFill == COMMON_HEADER) {
                long plen = (header[4] & 0xFFL) | (header[5] & 0xFFL) << 8 | (header[6] & 0xFFL) << 16
                        | (header[7] & 0xFFL) << 24;
                sink.pdu(bucket);
                // A PLEN shorter than the common header is garbage; count what follows as new PDUs.
                remaining = Math.max(0, plen - COMMON_HEADER);
                headerFill = 0;
            }
        }
    }
}
