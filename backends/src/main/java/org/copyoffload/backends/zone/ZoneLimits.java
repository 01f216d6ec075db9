package org.copyoffload.backends.zone;

/**
 * Maximum active and open zones, as counts ({@link #UNLIMITED} for no limit). NVMe reports them 0's based in MAR and
 * MOR with FFFFFFFFh for no limit: see {@link #mar()} and {@link #mor()}.
 */
public record ZoneLimits(long maxActive, long maxOpen) {
    public static final long UNLIMITED = Long.MAX_VALUE;

    public ZoneLimits {
        if (maxActive < 1 || maxOpen < 1) {
            throw new IllegalArgumentException("zone limits must be at least 1 (or UNLIMITED), were active "
                    + maxActive + ", open " + maxOpen);
        }
        if (maxOpen > maxActive) {
            throw new IllegalArgumentException("max open zones (" + maxOpen + ") must not exceed max active zones ("
                    + maxActive + ")");
        }
        if (maxActive != UNLIMITED && maxActive > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("max active zones " + maxActive + " does not fit MAR");
        }
    }

    public static ZoneLimits unlimited() {
        return new ZoneLimits(UNLIMITED, UNLIMITED);
    }

    /** From the 0's based NVMe fields (FFFFFFFFh = no limit). */
    public static ZoneLimits fromFields(long mar, long mor) {
        return new ZoneLimits(mar == 0xFFFF_FFFFL ? UNLIMITED : mar + 1, mor == 0xFFFF_FFFFL ? UNLIMITED : mor + 1);
    }

    /** The MAR field: 0's based, FFFFFFFFh for no limit. */
    public long mar() {
        return maxActive == UNLIMITED ? 0xFFFF_FFFFL : maxActive - 1;
    }

    /** The MOR field: 0's based, FFFFFFFFh for no limit. */
    public long mor() {
        return maxOpen == UNLIMITED ? 0xFFFF_FFFFL : maxOpen - 1;
    }
}
