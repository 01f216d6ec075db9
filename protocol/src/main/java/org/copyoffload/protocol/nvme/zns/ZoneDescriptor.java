package org.copyoffload.protocol.nvme.zns;

import io.netty.buffer.ByteBuf;
import org.copyoffload.protocol.nvme.ProtocolFieldException;

/**
 * One 64-byte Zone Descriptor of a Report Zones data structure (NVMe ZNS Command Set 1.1, Figure 45).
 *
 * <pre>
 * byte 0 bits 3:0    ZT    Zone Type (2h Sequential Write Required, the only one defined)
 * byte 1 bits 7:4    ZS    Zone State (1h empty, 2h implicitly opened, 3h explicitly opened, 4h closed,
 *                          Dh read only, Eh full, Fh offline)
 * byte 2             ZA    Zone Attributes (bit 0 ZFC, 1 FZR, 2 RZR, 3 ZRWAV, 7 ZDEV)
 * byte 3             ZAI   Zone Attributes Information
 * bytes 15:8         ZCAP  Zone Capacity in blocks
 * bytes 23:16        ZSLBA Zone Start LBA
 * bytes 31:24        WP    Write Pointer
 * bytes 63:32        reserved
 * </pre>
 */
public record ZoneDescriptor(int type, int state, int attributes, int attributesInformation, long capacity,
                             long startLba, long writePointer) {
    public static final int SIZE = 64;
    public static final int TYPE_SEQUENTIAL_WRITE_REQUIRED = 0x2;

    public static final int STATE_EMPTY = 0x1;
    public static final int STATE_IMPLICITLY_OPENED = 0x2;
    public static final int STATE_EXPLICITLY_OPENED = 0x3;
    public static final int STATE_CLOSED = 0x4;
    public static final int STATE_READ_ONLY = 0xD;
    public static final int STATE_FULL = 0xE;
    public static final int STATE_OFFLINE = 0xF;

    public ZoneDescriptor {
        check("ZT", type, 0xF);
        check("ZS", state, 0xF);
        check("ZA", attributes, 0xFF);
        check("ZAI", attributesInformation, 0xFF);
    }

    private static void check(String field, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(field + " " + value + " does not fit its field");
        }
    }

    /** A Sequential Write Required zone without attributes, as a target without extensions reports it. */
    public static ZoneDescriptor sequential(int state, long capacity, long startLba, long writePointer) {
        return new ZoneDescriptor(TYPE_SEQUENTIAL_WRITE_REQUIRED, state, 0, 0, capacity, startLba, writePointer);
    }

    /** A short name of a Zone State value, as nvme-cli and the spec abbreviate them (ZSE, ZSIO, ...). */
    public static String stateName(int state) {
        return switch (state) {
            case STATE_EMPTY -> "ZSE";
            case STATE_IMPLICITLY_OPENED -> "ZSIO";
            case STATE_EXPLICITLY_OPENED -> "ZSEO";
            case STATE_CLOSED -> "ZSC";
            case STATE_READ_ONLY -> "ZSRO";
            case STATE_FULL -> "ZSF";
            case STATE_OFFLINE -> "ZSO";
            default -> "reserved(" + state + ")";
        };
    }

    /**
     * Reads the descriptor at {@code index} (absolute, the reader index is not moved).
     *
     * @throws ProtocolFieldException for a reserved zone type or zone state
     */
    public static ZoneDescriptor decode(ByteBuf in, int index) {
        int type = in.getByte(index) & 0x0F;
        if (type != TYPE_SEQUENTIAL_WRITE_REQUIRED) {
            throw new ProtocolFieldException("Zone Type (ZT)", type, "reserved zone type");
        }
        int state = (in.getByte(index + 1) & 0xF0) >>> 4;
        if (stateName(state).startsWith("reserved")) {
            throw new ProtocolFieldException("Zone State (ZS)", state, "reserved zone state");
        }
        return new ZoneDescriptor(type, state, in.getByte(index + 2) & 0xFF, in.getByte(index + 3) & 0xFF,
                in.getLongLE(index + 8), in.getLongLE(index + 16), in.getLongLE(index + 24));
    }

    /** Writes the 64 bytes at {@code index} (absolute), reserved bytes zero. */
    public void encode(ByteBuf out, int index) {
        out.setZero(index, SIZE);
        out.setByte(index, type);
        out.setByte(index + 1, state << 4);
        out.setByte(index + 2, attributes);
        out.setByte(index + 3, attributesInformation);
        out.setLongLE(index + 8, capacity);
        out.setLongLE(index + 16, startLba);
        out.setLongLE(index + 24, writePointer);
    }
}
