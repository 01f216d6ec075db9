package org.copyoffload.protocol.nvme.identify;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** One Namespace Identification Descriptor (NVMe Base 2.1, Figure 315/316): NIDT, NIDL and the identifier. */
public record NamespaceIdDescriptor(int type, byte[] id) {
    public static final int EUI64 = 1;
    public static final int NGUID = 2;
    public static final int UUID = 3;
    public static final int CSI = 4;

    public NamespaceIdDescriptor {
        int expected = switch (type) {
            case EUI64 -> 8;
            case NGUID, UUID -> 16;
            case CSI -> 1;
            default -> throw new IllegalArgumentException("NIDT " + type + " unknown");
        };
        if (id.length != expected) {
            throw new IllegalArgumentException("NIDT " + type + " needs NIDL " + expected + ", got " + id.length);
        }
        id = id.clone();
    }

    @Override
    public byte[] id() {
        return id.clone();
    }

    public static ByteBuf encodeList(List<NamespaceIdDescriptor> descriptors) {
        ByteBuf b = Unpooled.buffer(Cns.STRUCTURE_SIZE);
        for (NamespaceIdDescriptor d : descriptors) {
            b.writeByte(d.type).writeByte(d.id.length).writeShort(0).writeBytes(d.id);
        }
        b.writeZero(Cns.STRUCTURE_SIZE - b.writerIndex());
        return b;
    }

    /**
     * Reads descriptors until a zero NIDL or the end of the 4096 bytes.
     *
     * @throws IllegalArgumentException for an unknown NIDT, an NIDL other than its type's, or a descriptor that runs
     *                                  past the end (found by fuzzing: it was read out of bounds)
     */
    public static List<NamespaceIdDescriptor> decodeList(ByteBuf in) {
        List<NamespaceIdDescriptor> out = new ArrayList<>();
        int i = in.readerIndex();
        int end = i + Math.min(in.readableBytes(), Cns.STRUCTURE_SIZE);
        while (i + 4 <= end) {
            int type = in.getUnsignedByte(i);
            int len = in.getUnsignedByte(i + 1);
            if (len == 0) {
                break;
            }
            if (i + 4 + len > end) {
                throw new IllegalArgumentException("Namespace Identification Descriptor at byte " + (i - in.readerIndex())
                        + ": NIDL " + len + " runs past byte " + (end - in.readerIndex()));
            }
            byte[] id = new byte[len];
            in.getBytes(i + 4, id);
            out.add(new NamespaceIdDescriptor(type, id));
            i += 4 + len;
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NamespaceIdDescriptor d && d.type == type && Arrays.equals(d.id, id);
    }

    @Override
    public int hashCode() {
        return type * 31 + Arrays.hashCode(id);
    }
}
