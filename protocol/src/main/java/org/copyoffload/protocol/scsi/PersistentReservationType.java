package org.copyoffload.protocol.scsi;

import java.util.Optional;

/**
 * Persistent reservation types (SPC-4 6.16.2, Table 213), with the bit each has in REPORT CAPABILITIES' PERSISTENT
 * RESERVATION TYPE MASK (SPC-4 6.15.4, Table 203: bytes 4-5 as one big-endian 16-bit value).
 */
public enum PersistentReservationType {
    WRITE_EXCLUSIVE(0x1, 1 << 9),
    EXCLUSIVE_ACCESS(0x3, 1 << 11),
    WRITE_EXCLUSIVE_REGISTRANTS_ONLY(0x5, 1 << 13),
    EXCLUSIVE_ACCESS_REGISTRANTS_ONLY(0x6, 1 << 14),
    WRITE_EXCLUSIVE_ALL_REGISTRANTS(0x7, 1 << 15),
    EXCLUSIVE_ACCESS_ALL_REGISTRANTS(0x8, 1);

    private final int code;
    private final int maskBit;

    PersistentReservationType(int code, int maskBit) {
        this.code = code;
        this.maskBit = maskBit;
    }

    public int code() {
        return code;
    }

    /** This type's bit in the 16-bit PERSISTENT RESERVATION TYPE MASK. */
    public int maskBit() {
        return maskBit;
    }

    /** Exclusive Access types keep reads from other nexuses out too; Write Exclusive types only writes. */
    public boolean exclusiveAccess() {
        return this == EXCLUSIVE_ACCESS || this == EXCLUSIVE_ACCESS_REGISTRANTS_ONLY
                || this == EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    /** Every registered nexus is a reservation holder (SPC-4 5.13.10: the key reported is zero). */
    public boolean allRegistrants() {
        return this == WRITE_EXCLUSIVE_ALL_REGISTRANTS || this == EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    /** Registered nexuses have the holder's access: the registrants only and all registrants types. */
    public boolean registrantsHaveAccess() {
        return this != WRITE_EXCLUSIVE && this != EXCLUSIVE_ACCESS;
    }

    public static Optional<PersistentReservationType> lookup(int code) {
        for (PersistentReservationType t : values()) {
            if (t.code == code) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** The mask of every type. */
    public static int allMask() {
        int mask = 0;
        for (PersistentReservationType t : values()) {
            mask |= t.maskBit;
        }
        return mask;
    }
}
