package org.copyoffload.protocol.nvme.log;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * One 1024-byte Discovery Log Page Entry (NVMe over Fabrics 1.1, Figure 32): transport, address family,
 * subsystem type, requirements, port, controller id, admin SQ size, subsystem NQN, address and service id.
 */
public record DiscoveryLogEntry(int trtype, int adrfam, int subtype, int treq, int portId, int cntlid, int asqsz,
                                int eflags, String trsvcid, String subnqn, String traddr, int tsasSectype) {
    public static final int SIZE = 1024;
    public static final int TRTYPE_TCP = 3;
    public static final int ADRFAM_IPV4 = 1;
    public static final int ADRFAM_IPV6 = 2;
    /** SUBTYPE: 1 referral to another discovery service, 2 NVM subsystem, 3 current discovery subsystem. */
    public static final int SUBTYPE_REFERRAL = 1;
    public static final int SUBTYPE_NVM = 2;
    public static final int SUBTYPE_CURRENT_DISCOVERY = 3;
    /**
     * TREQ: secure channel (bits 1:0) not specified 00b, required 01b, not required 10b; SQ flow control disable
     * supported (bit 2).
     */
    public static final int TREQ_REQUIRED = 0x1;
    public static final int TREQ_NOT_REQUIRED = 0x2;
    /** TSAS byte 0 for TCP, SECTYPE (NVMe/TCP Transport 1.1, Figure 32): no security, TLS 1.3. */
    public static final int SECTYPE_NONE = 0;
    public static final int SECTYPE_TLS13 = 2;
    public static final int TREQ_DISABLE_SQ_FLOW_CONTROL = 0x4;

    public void encode(ByteBuf out, int index) {
        out.setZero(index, SIZE);
        out.setByte(index, trtype);
        out.setByte(index + 1, adrfam);
        out.setByte(index + 2, subtype);
        out.setByte(index + 3, treq);
        out.setShortLE(index + 4, portId);
        out.setShortLE(index + 6, cntlid);
        out.setShortLE(index + 8, asqsz);
        out.setShortLE(index + 10, eflags);
        // TRSVCID and TRADDR are ASCII strings padded with spaces, as nvmet and SPDK send them.
        padded(out, index + 32, 32, trsvcid, (byte) ' ');
        padded(out, index + 256, 256, subnqn, (byte) 0);
        padded(out, index + 512, 256, traddr, (byte) ' ');
        out.setByte(index + 768, tsasSectype);
    }

    private static void padded(ByteBuf out, int index, int width, String value, byte pad) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > width) {
            throw new IllegalArgumentException("field of " + width + " bytes cannot hold " + value);
        }
        out.setBytes(index, bytes);
        for (int i = bytes.length; i < width; i++) {
            out.setByte(index + i, pad);
        }
    }

    public static DiscoveryLogEntry decode(ByteBuf in, int index) {
        return new DiscoveryLogEntry(in.getUnsignedByte(index), in.getUnsignedByte(index + 1),
                in.getUnsignedByte(index + 2), in.getUnsignedByte(index + 3), in.getUnsignedShortLE(index + 4),
                in.getUnsignedShortLE(index + 6), in.getUnsignedShortLE(index + 8), in.getUnsignedShortLE(index + 10),
                text(in, index + 32, 32), text(in, index + 256, 256), text(in, index + 512, 256),
                in.getUnsignedByte(index + 768));
    }

    private static String text(ByteBuf in, int index, int width) {
        int end = index;
        while (end < index + width && in.getByte(end) != 0) {
            end++;
        }
        return in.toString(index, end - index, StandardCharsets.US_ASCII).strip();
    }
}
