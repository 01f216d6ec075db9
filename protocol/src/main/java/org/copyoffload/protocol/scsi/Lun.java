package org.copyoffload.protocol.scsi;

/**
 * Single-level logical unit numbers in the 8-byte LUN field (SAM-5 4.7), as iSCSI carries it (RFC 7143
 * 11.3.4). LUNs below 256 use peripheral device addressing (method 00b, bus 0: byte 1 is the LUN), as
 * Linux and most targets do; LUNs up to 16383 use flat space addressing (method 01b, 14 bits in bytes 0-1).
 * The second to fourth levels (bytes 2-7) are zero.
 */
public final class Lun {
    /** The first LUN that flat space addressing cannot reach. */
    public static final int LIMIT = 1 << 14;

    private static final int PERIPHERAL = 0b00;
    private static final int FLAT_SPACE = 0b01;

    private Lun() {
    }

    /** The LUN field for {@code lun} (0 to 16383). */
    public static long encode(int lun) {
        if (lun < 0 || lun >= LIMIT) {
            throw new IllegalArgumentException("LUN " + lun + " outside 0.." + (LIMIT - 1));
        }
        if (lun < 256) {
            return (long) lun << 48;
        }
        return (long) (FLAT_SPACE << 14 | lun) << 48;
    }

    /**
     * The LUN in a single-level field with peripheral device (bus 0) or flat space addressing; anything else
     * (another address method, a bus number, a second level) throws, naming the field.
     */
    public static int decode(long field) {
        int first = (int) (field >>> 48) & 0xFFFF;
        int method = first >>> 14;
        if ((field & 0xFFFF_FFFF_FFFFL) != 0) {
            throw new IllegalArgumentException("LUN field " + hex(field) + " has more than one level");
        }
        return switch (method) {
            case PERIPHERAL -> {
                int bus = (first >>> 8) & 0x3F;
                if (bus != 0) {
                    throw new IllegalArgumentException("LUN field " + hex(field) + " addresses bus " + bus);
                }
                yield first & 0xFF;
            }
            case FLAT_SPACE -> first & 0x3FFF;
            default -> throw new IllegalArgumentException("LUN field " + hex(field) + " uses address method "
                    + (method == 0b10 ? "10b (logical unit)" : "11b (extended)") + ", not supported");
        };
    }

    private static String hex(long field) {
        return String.format("%016x", field);
    }
}
