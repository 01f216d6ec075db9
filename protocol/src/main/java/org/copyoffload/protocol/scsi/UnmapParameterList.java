package org.copyoffload.protocol.scsi;

import java.util.ArrayList;
import java.util.List;

/**
 * The UNMAP parameter list (SBC-4 5.30.2): an 8-byte header (UNMAP DATA LENGTH, UNMAP BLOCK DESCRIPTOR DATA
 * LENGTH) and 16-byte block descriptors (LBA, NUMBER OF LOGICAL BLOCKS).
 *
 * @param descriptors the block descriptors in order
 */
public record UnmapParameterList(List<Descriptor> descriptors) {
    public static final int HEADER = 8;
    public static final int DESCRIPTOR = 16;

    public UnmapParameterList {
        descriptors = List.copyOf(descriptors);
    }

    /**
     * One block descriptor.
     *
     * @param lba    UNMAP LOGICAL BLOCK ADDRESS
     * @param blocks NUMBER OF LOGICAL BLOCKS (unsigned 32 bits)
     * @param offset where the descriptor starts in the parameter list, for field pointers
     */
    public record Descriptor(long lba, long blocks, int offset) {
    }

    /**
     * Reads {@code length} bytes of parameter list. A list shorter than the header is PARAMETER LIST LENGTH ERROR
     * (SBC-4 5.30.1: a PARAMETER LIST LENGTH of 1 to 7). The block descriptors are those the UNMAP BLOCK DESCRIPTOR
     * DATA LENGTH covers, but never beyond the bytes received; a partial last descriptor is ignored, as the
     * standard has the device server do for a length that is not a multiple of 16.
     */
    public static UnmapParameterList decode(byte[] data, int length) {
        if (length < HEADER) {
            throw CheckCondition.parameterListLength("UNMAP parameter list of " + length
                    + " bytes is shorter than its 8-byte header");
        }
        int described = (data[2] & 0xFF) << 8 | data[3] & 0xFF;
        int usable = Math.min(described, length - HEADER);
        List<Descriptor> list = new ArrayList<>(usable / DESCRIPTOR);
        for (int at = HEADER; at + DESCRIPTOR <= HEADER + usable; at += DESCRIPTOR) {
            list.add(new Descriptor(Be.getLong(data, at), Be.getInt(data, at + 8) & 0xFFFF_FFFFL, at));
        }
        return new UnmapParameterList(list);
    }

    public byte[] encode() {
        byte[] b = new byte[HEADER + descriptors.size() * DESCRIPTOR];
        int n = b.length;
        b[0] = (byte) ((n - 2) >>> 8);
        b[1] = (byte) (n - 2);
        b[2] = (byte) ((n - HEADER) >>> 8);
        b[3] = (byte) (n - HEADER);
        int at = HEADER;
        for (Descriptor d : descriptors) {
            Be.putLong(b, at, d.lba());
            Be.putInt(b, at + 8, (int) d.blocks());
            at += DESCRIPTOR;
        }
        return b;
    }
}
