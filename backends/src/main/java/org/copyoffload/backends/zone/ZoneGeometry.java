package org.copyoffload.backends.zone;

/**
 * The layout of a zoned namespace: {@code zoneCount} zones of {@code zoneSize} blocks (ZSZE, a power of two), of
 * which the first {@code zoneCapacity} (ZCAP) are writable, with blocks of {@code blockSize} bytes.
 */
public record ZoneGeometry(int blockSize, long zoneSize, long zoneCapacity, int zoneCount) {

    public ZoneGeometry {
        if (blockSize <= 0 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a positive power of two, was " + blockSize);
        }
        if (zoneSize <= 0 || Long.bitCount(zoneSize) != 1) {
            throw new IllegalArgumentException("zone size must be a power of two number of blocks (ZSZE), was "
                    + zoneSize + " blocks");
        }
        if (zoneCapacity <= 0 || zoneCapacity > zoneSize) {
            throw new IllegalArgumentException("zone capacity must be in 1.." + zoneSize + " blocks (the zone size), was "
                    + zoneCapacity);
        }
        if (zoneCount <= 0) {
            throw new IllegalArgumentException("zone count must be positive, was " + zoneCount);
        }
        if (Math.multiplyHigh(zoneSize, zoneCount) != 0 || zoneSize * zoneCount > Long.MAX_VALUE / blockSize) {
            throw new IllegalArgumentException("namespace of " + zoneCount + " zones of " + zoneSize + " blocks of "
                    + blockSize + " bytes is too large");
        }
    }

    /** Blocks in the namespace (NSZE). */
    public long totalBlocks() {
        return zoneSize * zoneCount;
    }

    /** Bytes in the namespace. */
    public long totalBytes() {
        return totalBlocks() * blockSize;
    }

    /** The zone holding {@code lba}, which must be in range. */
    public int zoneIndex(long lba) {
        if (lba < 0 || lba >= totalBlocks()) {
            throw new IllegalArgumentException("LBA " + lba + " is outside 0.." + (totalBlocks() - 1));
        }
        return (int) (lba >>> Long.numberOfTrailingZeros(zoneSize));
    }

    /** The first LBA of zone {@code index} (ZSLBA). */
    public long zoneStart(int index) {
        if (index < 0 || index >= zoneCount) {
            throw new IllegalArgumentException("zone " + index + " is outside 0.." + (zoneCount - 1));
        }
        return (long) index * zoneSize;
    }

    /** Whether {@code lba} is the first LBA of a zone (in range or not). */
    public boolean isZoneStart(long lba) {
        return (lba & (zoneSize - 1)) == 0;
    }
}
