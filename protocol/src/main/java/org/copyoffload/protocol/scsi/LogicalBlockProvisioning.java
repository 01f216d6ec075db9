package org.copyoffload.protocol.scsi;

/**
 * Logical Block Provisioning (SBC-4 6.6.6, Table 228), page length 4 (no provisioning group descriptor).
 *
 * @param thresholdExponent THRESHOLD EXPONENT (0: no thresholds)
 * @param lbpu              LBPU: UNMAP is supported
 * @param lbpws             LBPWS: WRITE SAME (16) with UNMAP is supported
 * @param lbpws10           LBPWS10: WRITE SAME (10) with UNMAP is supported
 * @param lbprz             LBPRZ (3 bits): 001b a deallocated block reads as zeros
 * @param anchorSupported   ANC_SUP: anchoring is supported
 * @param provisioningType  PROVISIONING TYPE: 0 not reported, 1 resource provisioned, 2 thin provisioned
 */
public record LogicalBlockProvisioning(int thresholdExponent, boolean lbpu, boolean lbpws, boolean lbpws10,
                                       int lbprz, boolean anchorSupported, int provisioningType) implements VpdPage {
    public static final int THIN_PROVISIONED = 2;

    @Override
    public int pageCode() {
        return LOGICAL_BLOCK_PROVISIONING;
    }

    @Override
    public byte[] payload() {
        byte[] b = new byte[4];
        b[0] = (byte) thresholdExponent;
        b[1] = (byte) ((lbpu ? 0x80 : 0) | (lbpws ? 0x40 : 0) | (lbpws10 ? 0x20 : 0) | (lbprz & 7) << 2
                | (anchorSupported ? 0x02 : 0));
        b[2] = (byte) (provisioningType & 7);
        return b;
    }
}
