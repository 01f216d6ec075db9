package org.copyoffload.protocol.scsi;

/**
 * READ CAPACITY parameter data: (10) in 8 bytes (SBC-4 5.21.2) and (16) in 32 bytes (5.20.2).
 *
 * @param lastLba          RETURNED LOGICAL BLOCK ADDRESS: the last LBA of the unit
 * @param blockLength      LOGICAL BLOCK LENGTH IN BYTES
 * @param lbppbExponent    LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT
 * @param lbpme            LBPME: logical block provisioning management (thin provisioning) is enabled
 * @param lbprz            LBPRZ: deallocated blocks read as zeros
 * @param lowestAlignedLba LOWEST ALIGNED LOGICAL BLOCK ADDRESS
 */
public record ReadCapacityData(long lastLba, int blockLength, int lbppbExponent, boolean lbpme, boolean lbprz,
                               int lowestAlignedLba) {
    public static final int LENGTH_10 = 8;
    public static final int LENGTH_16 = 32;
    /** RC BASIS 01b: the returned LBA is the unit's last LBA (SBC-4 Table 63). */
    public static final int RC_BASIS_LAST_LBA = 0b01;

    /** (10): a last LBA that does not fit 32 bits reads FFFFFFFFh, telling the initiator to use (16). */
    public byte[] encode10() {
        byte[] b = new byte[LENGTH_10];
        Be.putInt(b, 0, (int) Math.min(lastLba, 0xFFFF_FFFFL));
        Be.putInt(b, 4, blockLength);
        return b;
    }

    /** (16), without protection information (P_TYPE, PROT_EN and P_I_EXPONENT zero). */
    public byte[] encode16() {
        byte[] b = new byte[LENGTH_16];
        Be.putLong(b, 0, lastLba);
        Be.putInt(b, 8, blockLength);
        b[12] = (byte) (RC_BASIS_LAST_LBA << 4);
        b[13] = (byte) (lbppbExponent & 0x0F);
        b[14] = (byte) ((lbpme ? 0x80 : 0) | (lbprz ? 0x40 : 0) | (lowestAlignedLba >>> 8 & 0x3F));
        b[15] = (byte) lowestAlignedLba;
        return b;
    }
}
