package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * What a copy manager of token copy reports in the Third-party Copy VPD page (SPC-4 7.8.17, and SBC-4 for the block device descriptors): the
 * Block Device ROD Token Limits descriptor (0000h), the ROD Token Features descriptor (0106h) with its block device
 * part, and the Supported ROD Types descriptor (0108h).
 *
 * @param maxRanges                     MAXIMUM RANGES: block device range descriptors per command
 * @param minInactivityTimeout          MINIMUM TOKEN LIFETIME, in seconds (shorter INACTIVITY TIMEOUTs are raised to it)
 * @param maxInactivityTimeout          MAXIMUM INACTIVITY TIMEOUT, in seconds
 * @param defaultInactivityTimeout      DEFAULT INACTIVITY TIMEOUT, in seconds
 * @param maxTokenTransferSize          MAXIMUM TOKEN TRANSFER SIZE, in logical blocks (per POPULATE TOKEN or WRITE
 *                                      USING TOKEN)
 * @param optimalTransferCount          OPTIMAL TRANSFER COUNT, in logical blocks
 * @param optimalBytesFromTokenPerSegment OPTIMAL BYTES FROM TOKEN PER SEGMENT (the copy's chunk)
 * @param rodTypes                      the supported ROD types, in order of preference
 */
public record RodTokenLimits(int maxRanges, long minInactivityTimeout, long maxInactivityTimeout,
                             long defaultInactivityTimeout, long maxTokenTransferSize, long optimalTransferCount,
                             long optimalBytesFromTokenPerSegment, List<SupportedRodType> rodTypes) {
    public static final int BLOCK_DEVICE_ROD_TOKEN_LIMITS = 0x0000;
    public static final int ROD_TOKEN_FEATURES = 0x0106;
    public static final int SUPPORTED_ROD_TYPES = 0x0108;

    /**
     * One ROD type descriptor (SPC-4 "ROD type descriptor"): the type, whether WRITE USING TOKEN takes it (TOKEN_IN) and whether
     * POPULATE TOKEN makes it (TOKEN_OUT).
     */
    public record SupportedRodType(int type, boolean tokenIn, boolean tokenOut) {
    }

    public RodTokenLimits {
        rodTypes = List.copyOf(rodTypes);
        if (maxRanges < 1 || maxRanges > 0xFFFF) {
            throw new IllegalArgumentException("MAXIMUM RANGES " + maxRanges);
        }
        if (minInactivityTimeout > defaultInactivityTimeout || defaultInactivityTimeout > maxInactivityTimeout
                || maxInactivityTimeout > 0xFFFF_FFFFL || minInactivityTimeout < 0) {
            throw new IllegalArgumentException("inactivity timeouts " + minInactivityTimeout + " <= "
                    + defaultInactivityTimeout + " <= " + maxInactivityTimeout + " required");
        }
    }

    /** Block Device ROD Token Limits (SBC-4 "Block Device ROD Token Limits descriptor"): 32 bytes of content. */
    byte[] blockDeviceRodTokenLimits() {
        byte[] d = new byte[32];
        Be.putShort(d, 6, maxRanges);
        Be.putInt(d, 8, (int) maxInactivityTimeout);
        Be.putInt(d, 12, (int) defaultInactivityTimeout);
        Be.putLong(d, 16, maxTokenTransferSize);
        Be.putLong(d, 24, optimalTransferCount);
        return d;
    }

    /**
     * ROD Token Features (SPC-4 7.8.17): REMOTE TOKENS 0 (tokens of other copy managers are not used), MINIMUM and
     * MAXIMUM TOKEN LIFETIME (FFFFFFFFh: no lifetime limit beyond inactivity), MAXIMUM TOKEN INACTIVITY TIMEOUT and one
     * block device ROD device type specific features descriptor (SBC-4, 48 bytes).
     */
    byte[] rodTokenFeatures() {
        byte[] d = new byte[44 + 48];
        Be.putInt(d, 12, (int) minInactivityTimeout);
        Be.putInt(d, 16, 0xFFFF_FFFF);
        Be.putInt(d, 20, (int) maxInactivityTimeout);
        Be.putShort(d, 42, 48);
        int at = 44;
        d[at] = 0x00; // PERIPHERAL DEVICE TYPE: block
        Be.putShort(d, at + 2, 48 - 4);
        Be.putShort(d, at + 6, 1); // OPTIMAL BLOCK ROD LENGTH GRANULARITY: any number of blocks
        Be.putLong(d, at + 16, optimalBytesFromTokenPerSegment); // OPTIMAL BYTES IN BLOCK ROD TRANSFER
        Be.putLong(d, at + 24, optimalBytesFromTokenPerSegment); // OPTIMAL BYTES TO TOKEN PER SEGMENT
        Be.putLong(d, at + 32, optimalBytesFromTokenPerSegment); // OPTIMAL BYTES FROM TOKEN PER SEGMENT
        return d;
    }

    /** Supported ROD Types (SPC-4 7.8.17): ROD TYPE DESCRIPTORS LENGTH and 64 bytes per type. */
    byte[] supportedRodTypes() {
        byte[] d = new byte[4 + 64 * rodTypes.size()];
        Be.putShort(d, 2, 64 * rodTypes.size());
        for (int i = 0; i < rodTypes.size(); i++) {
            SupportedRodType t = rodTypes.get(i);
            int at = 4 + 64 * i;
            Be.putInt(d, at, t.type());
            d[at + 4] = (byte) ((t.tokenIn() ? 0x02 : 0) | (t.tokenOut() ? 0x01 : 0));
        }
        return d;
    }
}
