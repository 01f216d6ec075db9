package org.copyoffload.protocol.scsi;

import java.util.Arrays;
import java.util.List;

/**
 * The WRITE USING TOKEN parameter list (SBC-4 WRITE USING TOKEN): WRITE USING TOKEN DATA LENGTH (bytes 0-1, the bytes
 * after it), DEL_TKN and IMMED (byte 2 bits 1 and 0), OFFSET INTO ROD in logical blocks of the destination (bytes
 * 8-15), the 512-byte ROD TOKEN (bytes 16-527), BLOCK DEVICE RANGE DESCRIPTOR LENGTH (bytes 534-535) and the
 * destination ranges from byte 536.
 *
 * @param deleteToken  DEL_TKN: the token is deleted once this command has used it
 * @param immediate    IMMED: GOOD once the list and token are checked, the copy going on in the background
 * @param offsetIntoRod OFFSET INTO ROD (unsigned)
 * @param rodToken     ROD TOKEN, as the initiator sent it
 * @param ranges       the destination ranges, filled in order
 */
public record WriteUsingTokenParameters(boolean deleteToken, boolean immediate, long offsetIntoRod, byte[] rodToken,
                                        List<BlockDeviceRange> ranges) {
    public static final int OFFSET_INTO_ROD = 8;
    public static final int ROD_TOKEN = 16;
    public static final int RANGE_DESCRIPTOR_LENGTH = 534;
    public static final int HEADER = 536;

    public WriteUsingTokenParameters {
        rodToken = rodToken.clone();
        ranges = List.copyOf(ranges);
        if (rodToken.length != RodToken.LENGTH) {
            throw new IllegalArgumentException("a ROD token has " + RodToken.LENGTH + " bytes, got " + rodToken.length);
        }
        if (ranges.isEmpty() || ranges.size() * BlockDeviceRange.LENGTH > 0xFFFF) {
            throw new IllegalArgumentException(ranges.size() + " block device range descriptors");
        }
    }

    @Override
    public byte[] rodToken() {
        return rodToken.clone();
    }

    /**
     * The list as the copy manager receives it, {@code length} bytes of {@code b}.
     *
     * @throws CheckCondition as {@link PopulateTokenParameters#decode}, for this list's fields
     */
    public static WriteUsingTokenParameters decode(byte[] b, int length) {
        List<BlockDeviceRange> ranges = BlockDeviceRange.decodeParameterList("WRITE USING TOKEN", b, length, HEADER,
                RANGE_DESCRIPTOR_LENGTH);
        return new WriteUsingTokenParameters((b[2] & 0x02) != 0, (b[2] & 0x01) != 0, Be.getLong(b, OFFSET_INTO_ROD),
                Arrays.copyOfRange(b, ROD_TOKEN, ROD_TOKEN + RodToken.LENGTH), ranges);
    }

    public byte[] encode() {
        byte[] b = new byte[HEADER + ranges.size() * BlockDeviceRange.LENGTH];
        Be.putShort(b, 0, b.length - 2);
        b[2] = (byte) ((deleteToken ? 0x02 : 0) | (immediate ? 0x01 : 0));
        Be.putLong(b, OFFSET_INTO_ROD, offsetIntoRod);
        System.arraycopy(rodToken, 0, b, ROD_TOKEN, RodToken.LENGTH);
        Be.putShort(b, RANGE_DESCRIPTOR_LENGTH, ranges.size() * BlockDeviceRange.LENGTH);
        for (int i = 0; i < ranges.size(); i++) {
            ranges.get(i).encode(b, HEADER + i * BlockDeviceRange.LENGTH);
        }
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WriteUsingTokenParameters w && deleteToken == w.deleteToken && immediate == w.immediate
                && offsetIntoRod == w.offsetIntoRod && Arrays.equals(rodToken, w.rodToken) && ranges.equals(w.ranges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(rodToken) * 31 + ranges.hashCode();
    }

    @Override
    public String toString() {
        // The token is a capability: the log gets its type and identifier only.
        return "WriteUsingTokenParameters[DEL_TKN=" + deleteToken + " IMMED=" + immediate + " offset=" + offsetIntoRod
                + " token type=" + Integer.toHexString(Be.getInt(rodToken, 0)) + " id="
                + Long.toUnsignedString(Be.getLong(rodToken, RodToken.COPY_MANAGER_ROD_TOKEN_IDENTIFIER))
                + " ranges=" + ranges + "]";
    }
}
