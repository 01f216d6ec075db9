package org.copyoffload.protocol.scsi;

import java.util.ArrayList;
import java.util.List;

/**
 * A block device range descriptor (SBC-4 "Block device range descriptor"): LOGICAL BLOCK ADDRESS (bytes 0-7), NUMBER OF LOGICAL
 * BLOCKS (bytes 8-11), 4 reserved bytes. POPULATE TOKEN and WRITE USING TOKEN carry lists of them.
 *
 * @param lba    LOGICAL BLOCK ADDRESS (unsigned)
 * @param blocks NUMBER OF LOGICAL BLOCKS (unsigned 32 bits; zero: the descriptor is skipped)
 */
public record BlockDeviceRange(long lba, long blocks) {
    public static final int LENGTH = 16;

    public BlockDeviceRange {
        if (blocks < 0 || blocks > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("NUMBER OF LOGICAL BLOCKS " + blocks + " does not fit 32 bits");
        }
    }

    void encode(byte[] b, int at) {
        Be.putLong(b, at, lba);
        Be.putInt(b, at + 8, (int) blocks);
    }

    /** Blocks of all {@code ranges} together. */
    public static long totalBlocks(List<BlockDeviceRange> ranges) {
        return ranges.stream().mapToLong(BlockDeviceRange::blocks).sum();
    }

    /**
     * The range descriptors of a {@code command} (POPULATE TOKEN, WRITE USING TOKEN) parameter list of {@code length}
     * bytes of {@code b}: the list must hold its {@code header} bytes, and its DATA LENGTH (bytes 0-1) must cover the
     * header and the BLOCK DEVICE RANGE DESCRIPTOR LENGTH at {@code lengthField}; the descriptors follow the header.
     *
     * @throws IllegalArgumentException when {@code length} exceeds the buffer
     * @throws CheckCondition           PARAMETER LIST LENGTH ERROR for a list shorter than its header, INVALID FIELD IN
     *                                  PARAMETER LIST at the DATA LENGTH, and as {@link #decodeList}
     */
    static List<BlockDeviceRange> decodeParameterList(String command, byte[] b, int length, int header,
                                                      int lengthField) {
        if (length > b.length) {
            throw new IllegalArgumentException(length + " bytes claimed of a " + b.length + "-byte buffer");
        }
        if (length < header) {
            throw CheckCondition.parameterListLength(command + " parameter list of " + length + " bytes, the header"
                    + " alone has " + header);
        }
        int dataLength = Be.getShort(b, 0);
        int rangeLength = Be.getShort(b, lengthField);
        if (dataLength + 2 < header + rangeLength) {
            throw CheckCondition.invalidParameter(command + " DATA LENGTH", 0, 7, dataLength,
                    "shorter than the header and BLOCK DEVICE RANGE DESCRIPTOR LENGTH " + rangeLength);
        }
        return decodeList(b, length, lengthField, header);
    }

    /**
     * The descriptors of a parameter list: {@code listLength} bytes at {@code at} of the {@code length} bytes
     * received, the length field itself at {@code lengthField}.
     *
     * @throws CheckCondition INVALID FIELD IN PARAMETER LIST at the BLOCK DEVICE RANGE DESCRIPTOR LENGTH when it is
     *                        zero or not a multiple of 16; PARAMETER LIST LENGTH ERROR when the list runs past the
     *                        bytes received
     */
    static List<BlockDeviceRange> decodeList(byte[] b, int length, int lengthField, int at) {
        int listLength = Be.getShort(b, lengthField);
        if (listLength == 0 || listLength % LENGTH != 0) {
            throw CheckCondition.invalidParameter("BLOCK DEVICE RANGE DESCRIPTOR LENGTH", lengthField, 7, listLength,
                    "must be a non-zero multiple of " + LENGTH);
        }
        if (at + listLength > length) {
            throw CheckCondition.parameterListLength("BLOCK DEVICE RANGE DESCRIPTOR LENGTH " + listLength
                    + " runs past the " + length + " bytes of the parameter list");
        }
        List<BlockDeviceRange> ranges = new ArrayList<>(listLength / LENGTH);
        for (int d = at; d < at + listLength; d += LENGTH) {
            ranges.add(new BlockDeviceRange(Be.getLong(b, d), Be.getInt(b, d + 8) & 0xFFFF_FFFFL));
        }
        return List.copyOf(ranges);
    }
}
