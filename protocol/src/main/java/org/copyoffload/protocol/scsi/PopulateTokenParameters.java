package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * The POPULATE TOKEN parameter list (SBC-4 POPULATE TOKEN): POPULATE TOKEN DATA LENGTH (bytes 0-1, the bytes after
 * it), RTV and IMMED (byte 2 bits 1 and 0), INACTIVITY TIMEOUT in seconds (bytes 4-7), ROD TYPE (bytes 8-11, valid
 * only with RTV), BLOCK DEVICE RANGE DESCRIPTOR LENGTH (bytes 14-15) and the block device range descriptors from
 * byte 16.
 *
 * @param rodTypeValid      RTV: ROD TYPE names the type wanted; clear, the copy manager chooses
 * @param immediate         IMMED: GOOD once the list is checked, the token made in the background
 * @param inactivityTimeout INACTIVITY TIMEOUT (zero: the copy manager's default)
 * @param rodType           ROD TYPE
 * @param ranges            the source ranges, in the order the token represents them
 */
public record PopulateTokenParameters(boolean rodTypeValid, boolean immediate, long inactivityTimeout, int rodType,
                                      List<BlockDeviceRange> ranges) {
    public static final int HEADER = 16;
    public static final int INACTIVITY_TIMEOUT = 4;
    public static final int ROD_TYPE = 8;
    public static final int RANGE_DESCRIPTOR_LENGTH = 14;

    public PopulateTokenParameters {
        ranges = List.copyOf(ranges);
        if (ranges.isEmpty() || ranges.size() * BlockDeviceRange.LENGTH > 0xFFFF) {
            throw new IllegalArgumentException(ranges.size() + " block device range descriptors");
        }
        if (inactivityTimeout < 0 || inactivityTimeout > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("INACTIVITY TIMEOUT " + inactivityTimeout + " does not fit 32 bits");
        }
    }

    /**
     * The list as the copy manager receives it, {@code length} bytes of {@code b}.
     *
     * @throws CheckCondition PARAMETER LIST LENGTH ERROR when the header or the descriptors run past the bytes
     *                        received; INVALID FIELD IN PARAMETER LIST at POPULATE TOKEN DATA LENGTH when it leaves
     *                        out descriptors, or at BLOCK DEVICE RANGE DESCRIPTOR LENGTH when it is zero or not a
     *                        multiple of 16
     */
    public static PopulateTokenParameters decode(byte[] b, int length) {
        List<BlockDeviceRange> ranges = BlockDeviceRange.decodeParameterList("POPULATE TOKEN", b, length, HEADER,
                RANGE_DESCRIPTOR_LENGTH);
        return new PopulateTokenParameters((b[2] & 0x02) != 0, (b[2] & 0x01) != 0,
                Be.getInt(b, INACTIVITY_TIMEOUT) & 0xFFFF_FFFFL, Be.getInt(b, ROD_TYPE), ranges);
    }

    public byte[] encode() {
        byte[] b = new byte[HEADER + ranges.size() * BlockDeviceRange.LENGTH];
        Be.putShort(b, 0, b.length - 2);
        b[2] = (byte) ((rodTypeValid ? 0x02 : 0) | (immediate ? 0x01 : 0));
        Be.putInt(b, INACTIVITY_TIMEOUT, (int) inactivityTimeout);
        Be.putInt(b, ROD_TYPE, rodType);
        Be.putShort(b, RANGE_DESCRIPTOR_LENGTH, ranges.size() * BlockDeviceRange.LENGTH);
        for (int i = 0; i < ranges.size(); i++) {
            ranges.get(i).encode(b, HEADER + i * BlockDeviceRange.LENGTH);
        }
        return b;
    }
}
