package org.copyoffload.protocol.nvme;

import io.netty.buffer.ByteBuf;

/**
 * One 16-byte SGL descriptor (NVMe Base 2.1, 4.3.2). Over NVMe/TCP only two are meaningful
 * (NVMe/TCP Transport 1.1, 3.4): in-capsule data (Data Block, subtype Offset: {@code 0x01}) and data
 * moved by C2HData/H2CData PDUs (Transport SGL Data Block, subtype Transport specific: {@code 0x5A}).
 */
public record SglDescriptor(long address, int length, int reserved, int identifier) {
    public static final int SIZE = 16;
    /** Data Block descriptor (type 0h), Offset subtype (1h): data carried in the command capsule. */
    public static final int IN_CAPSULE = 0x01;
    /** Transport SGL Data Block descriptor (type 5h), transport-specific subtype (Ah). */
    public static final int TRANSPORT_DATA_BLOCK = 0x5A;

    public SglDescriptor {
        if ((reserved & ~0xFFFFFF) != 0) {
            throw new IllegalArgumentException("reserved bytes 12-14 hold 3 bytes, got " + reserved);
        }
        if ((identifier & ~0xFF) != 0) {
            throw new IllegalArgumentException("SGL identifier is one byte, got " + identifier);
        }
    }

    public static SglDescriptor inCapsule(int length) {
        return new SglDescriptor(0, length, 0, IN_CAPSULE);
    }

    public static SglDescriptor transport(int length) {
        return new SglDescriptor(0, length, 0, TRANSPORT_DATA_BLOCK);
    }

    /** Length as an unsigned 32-bit count of bytes. */
    public long lengthUnsigned() {
        return Integer.toUnsignedLong(length);
    }

    public int type() {
        return identifier >>> 4;
    }

    public int subtype() {
        return identifier & 0xF;
    }

    public static SglDescriptor decode(ByteBuf in, int index) {
        long address = in.getLongLE(index);
        int length = in.getIntLE(index + 8);
        int reserved = in.getUnsignedMediumLE(index + 12);
        int identifier = in.getUnsignedByte(index + 15);
        return new SglDescriptor(address, length, reserved, identifier);
    }

    public void encode(ByteBuf out, int index) {
        out.setLongLE(index, address);
        out.setIntLE(index + 8, length);
        out.setMediumLE(index + 12, reserved);
        out.setByte(index + 15, identifier);
    }
}
