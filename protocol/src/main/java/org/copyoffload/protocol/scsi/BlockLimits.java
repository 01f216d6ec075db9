package org.copyoffload.protocol.scsi;

/**
 * Block Limits (SBC-4 6.6.4, Table 217), page length 3Ch. All lengths are in logical blocks; zero in a maximum means
 * "not reported / no limit" where the standard says so. The atomic transfer fields stay zero (no WRITE ATOMIC).
 *
 * @param wsnz                           WSNZ: WRITE SAME with NUMBER OF LOGICAL BLOCKS zero is refused
 * @param maximumCompareAndWriteLength   MAXIMUM COMPARE AND WRITE LENGTH
 * @param optimalTransferLengthGranularity OPTIMAL TRANSFER LENGTH GRANULARITY
 * @param maximumTransferLength          MAXIMUM TRANSFER LENGTH
 * @param optimalTransferLength          OPTIMAL TRANSFER LENGTH
 * @param maximumPrefetchLength          MAXIMUM PREFETCH LENGTH
 * @param maximumUnmapLbaCount           MAXIMUM UNMAP LBA COUNT
 * @param maximumUnmapDescriptorCount    MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT
 * @param optimalUnmapGranularity        OPTIMAL UNMAP GRANULARITY
 * @param unmapGranularityAlignment      UNMAP GRANULARITY ALIGNMENT, with UGAVALID set when present (&gt;= 0)
 * @param maximumWriteSameLength         MAXIMUM WRITE SAME LENGTH
 */
public record BlockLimits(boolean wsnz, int maximumCompareAndWriteLength, int optimalTransferLengthGranularity,
                          long maximumTransferLength, long optimalTransferLength, long maximumPrefetchLength,
                          long maximumUnmapLbaCount, long maximumUnmapDescriptorCount, long optimalUnmapGranularity,
                          long unmapGranularityAlignment, long maximumWriteSameLength) implements VpdPage {
    @Override
    public int pageCode() {
        return BLOCK_LIMITS;
    }

    @Override
    public byte[] payload() {
        byte[] p = new byte[64];
        p[4] = (byte) (wsnz ? 1 : 0);
        p[5] = (byte) maximumCompareAndWriteLength;
        Be.putShort(p, 6, optimalTransferLengthGranularity);
        Be.putInt(p, 8, (int) maximumTransferLength);
        Be.putInt(p, 12, (int) optimalTransferLength);
        Be.putInt(p, 16, (int) maximumPrefetchLength);
        Be.putInt(p, 20, (int) maximumUnmapLbaCount);
        Be.putInt(p, 24, (int) maximumUnmapDescriptorCount);
        Be.putInt(p, 28, (int) optimalUnmapGranularity);
        if (unmapGranularityAlignment >= 0) {
            Be.putInt(p, 32, (int) (0x8000_0000L | unmapGranularityAlignment));
        }
        Be.putLong(p, 36, maximumWriteSameLength);
        // The page's byte n is p[n]; the header's four bytes are dropped here and written by encode().
        byte[] payload = new byte[0x3C];
        System.arraycopy(p, 4, payload, 0, payload.length);
        return payload;
    }
}
