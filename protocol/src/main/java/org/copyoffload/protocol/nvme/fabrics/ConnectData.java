package org.copyoffload.protocol.nvme.fabrics;

import io.netty.buffer.ByteBuf;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.copyoffload.protocol.nvme.ProtocolFieldException;

/**
 * The 1024-byte Connect command data (NVMe over Fabrics 1.1, Figure 21): host identifier, controller id
 * (FFFFh asks for a dynamic controller on the admin queue), subsystem NQN and host NQN.
 */
public record ConnectData(byte[] hostId, int cntlid, String subsystemNqn, String hostNqn) {
    public static final int SIZE = 1024;
    public static final int OFFSET_HOSTID = 0;
    public static final int OFFSET_CNTLID = 16;
    public static final int OFFSET_SUBNQN = 256;
    public static final int OFFSET_HOSTNQN = 512;
    public static final int NQN_FIELD = 256;
    public static final int DYNAMIC_CONTROLLER = 0xFFFF;
    /** NVMe Base 2.1, 4.7: an NQN is at most 223 bytes, leaving room for the terminating NUL in its field. */
    public static final int MAX_NQN_BYTES = 223;

    public ConnectData {
        if (hostId.length != 16) {
            throw new IllegalArgumentException("host identifier is 16 bytes, got " + hostId.length);
        }
        hostId = hostId.clone();
    }

    @Override
    public byte[] hostId() {
        return hostId.clone();
    }

    public String hostIdHex() {
        return HexFormat.of().formatHex(hostId);
    }

    public boolean hostIdIsZero() {
        for (byte b : hostId) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    public static ConnectData decode(ByteBuf in) {
        if (in.readableBytes() < SIZE) {
            throw new ProtocolFieldException("Connect data length", in.readableBytes(), "must be " + SIZE + " bytes");
        }
        int base = in.readerIndex();
        byte[] hostId = new byte[16];
        in.getBytes(base, hostId);
        return new ConnectData(hostId, in.getUnsignedShortLE(base + OFFSET_CNTLID),
                nqn(in, base + OFFSET_SUBNQN, "SUBNQN"), nqn(in, base + OFFSET_HOSTNQN, "HOSTNQN"));
    }

    /** An NQN field: UTF-8, null-terminated within its 256 bytes. */
    private static String nqn(ByteBuf in, int index, String field) {
        int end = index;
        while (end < index + NQN_FIELD && in.getByte(end) != 0) {
            end++;
        }
        if (end == index + NQN_FIELD) {
            throw new ProtocolFieldException(field, NQN_FIELD, "not null-terminated within 256 bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in.nioBuffer(index, end - index))
                    .toString();
        } catch (CharacterCodingException e) {
            // Found by fuzzing: replacement characters made another NQN (different hosts' bytes the same string,
            // three bytes for each bad one, too long to encode back). An NQN is UTF-8 (NVMe Base 2.1, 4.7).
            throw new ProtocolFieldException(field, end - index, "not UTF-8");
        }
    }

    public void encode(ByteBuf out) {
        int base = out.writerIndex();
        out.writeZero(SIZE);
        out.setBytes(base, hostId);
        out.setShortLE(base + OFFSET_CNTLID, cntlid);
        byte[] sub = subsystemNqn.getBytes(StandardCharsets.UTF_8);
        byte[] host = hostNqn.getBytes(StandardCharsets.UTF_8);
        if (sub.length > MAX_NQN_BYTES || host.length > MAX_NQN_BYTES) {
            throw new IllegalArgumentException("an NQN is at most " + MAX_NQN_BYTES + " bytes");
        }
        out.setBytes(base + OFFSET_SUBNQN, sub);
        out.setBytes(base + OFFSET_HOSTNQN, host);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConnectData c && Arrays.equals(hostId, c.hostId) && cntlid == c.cntlid
                && subsystemNqn.equals(c.subsystemNqn) && hostNqn.equals(c.hostNqn);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(hostId) * 31 + subsystemNqn.hashCode() * 7 + hostNqn.hashCode() + cntlid;
    }

    @Override
    public String toString() {
        return "ConnectData[hostId=" + hostIdHex() + ", cntlid=" + cntlid + ", subnqn=" + subsystemNqn
                + ", hostnqn=" + hostNqn + "]";
    }
}
