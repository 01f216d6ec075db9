package org.copyoffload.initiator.nvme;

import io.netty.buffer.ByteBuf;

/**
 * Follows PDU boundaries in one direction of a byte stream, from each common header's type, flags, PDO and
 * PLEN, so bytes are counted per PDU type exactly as they cross the socket, however the stream is chunked, and
 * the data bytes of each PDU (from PDO up to the data digest) apart from its headers, padding and digests.
 */
final class PduStreamCounter {
    private static final int COMMON_HEADER = 8;
    /** CH.FLAGS bit 1, DDGSTF: a data digest follows the data (NVMe/TCP 1.0, 3.6.1). */
    private static final int DDGSTF = 0x02;
    private static final int DIGEST = 4;

    /** Receives what the counter sees: bytes of the current PDU's type, which of them are data, and each PDU once its header is whole. */
    interface Sink {
        void bytes(int bucket, long count);

        void data(int bucket, long count);

        void pdu(int bucket);
    }

    private final Sink sink;
    private final byte[] header = new byte[COMMON_HEADER];
    private int headerFill;
    /** Position in the current PDU after its common header, and where its data lies in it ([dataStart, dataEnd)). */
    private long position;
    private long plen;
    private long dataStart;
    private long dataEnd;
    private int bucket = TrafficCounters.UNKNOWN;

    PduStreamCounter(Sink sink) {
        this.sink = sink;
    }

    void count(ByteBuf buf) {
        int index = buf.readerIndex();
        int end = buf.writerIndex();
        while (index < end) {
            if (position < plen) {
                int n = (int) Math.min(plen - position, end - index);
                sink.bytes(bucket, n);
                long data = Math.min(position + n, dataEnd) - Math.max(position, dataStart);
                if (data > 0) {
                    sink.data(bucket, data);
                }
                position += n;
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
                startPdu();
            }
        }
    }

    private void startPdu() {
        long length = (header[4] & 0xFFL) | (header[5] & 0xFFL) << 8 | (header[6] & 0xFFL) << 16
                | (header[7] & 0xFFL) << 24;
        int pdo = header[3] & 0xFF;
        boolean dataDigest = (header[1] & DDGSTF) != 0;
        sink.pdu(bucket);
        headerFill = 0;
        // A PLEN shorter than the common header is garbage; what follows counts as new PDUs.
        plen = Math.max(COMMON_HEADER, length);
        position = COMMON_HEADER;
        // Data lies from PDO to PLEN, less a trailing data digest; a PDU without data has PDO 0. Termination
        // requests (PDO 0) carry their data after the header: counted as header, which they describe.
        dataStart = pdo;
        dataEnd = pdo >= COMMON_HEADER && plen > pdo ? plen - (dataDigest ? DIGEST : 0) : 0;
    }
}
