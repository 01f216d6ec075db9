package org.copyoffload.protocol.iscsi;

/** Range checks for PDU fields narrower than their Java type, so the encoder never truncates silently. */
final class Fields {
    static final long ISID_MASK = 0xFFFF_FFFF_FFFFL;

    private Fields() {
    }

    static void check(String field, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(field + " " + value + " outside 0.." + max);
        }
    }

    static void checkIsid(long isid) {
        if ((isid & ~ISID_MASK) != 0) {
            throw new IllegalArgumentException("ISID 0x" + Long.toHexString(isid) + " wider than 6 bytes");
        }
    }
}
