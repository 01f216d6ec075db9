package org.copyoffload.protocol.nvme.identify;

/** One LBA Format entry (NVM Command Set 1.1, Figure 116): metadata size, LBA data size as 2^LBADS, relative performance. */
public record LbaFormat(int metadataSize, int lbads, int relativePerformance) {
    public static LbaFormat ofBlockSize(int blockSize) {
        if (Integer.bitCount(blockSize) != 1 || blockSize < 512) {
            throw new IllegalArgumentException("LBA size must be a power of two of at least 512, got " + blockSize);
        }
        return new LbaFormat(0, Integer.numberOfTrailingZeros(blockSize), 0);
    }

    public int blockSize() {
        return 1 << lbads;
    }

    int encode() {
        return (metadataSize & 0xFFFF) | ((lbads & 0xFF) << 16) | ((relativePerformance & 0x3) << 24);
    }

    static LbaFormat decode(int v) {
        return new LbaFormat(v & 0xFFFF, (v >>> 16) & 0xFF, (v >>> 24) & 0x3);
    }
}
