package org.copyoffload.protocol.scsi;

/**
 * Block Device Characteristics (SBC-4 6.6.2), page length 3Ch.
 *
 * @param mediumRotationRate MEDIUM ROTATION RATE: 0001h non-rotating (solid state)
 * @param productType        PRODUCT TYPE (00h not indicated)
 * @param nominalFormFactor  NOMINAL FORM FACTOR (0h not reported)
 * @param vbuls              VBULS: VERIFY with BYTCHK 01b/11b compares unmapped LBAs (as their zeros) instead of
 *                           reporting MISCOMPARE VERIFY OF UNMAPPED LBA
 */
public record BlockDeviceCharacteristics(int mediumRotationRate, int productType, int nominalFormFactor,
                                         boolean vbuls) implements VpdPage {
    public static final int NON_ROTATING = 0x0001;

    @Override
    public int pageCode() {
        return BLOCK_DEVICE_CHARACTERISTICS;
    }

    @Override
    public byte[] payload() {
        byte[] b = new byte[0x3C];
        Be.putShort(b, 0, mediumRotationRate);          // bytes 4-5
        b[2] = (byte) productType;                      // byte 6
        b[3] = (byte) (nominalFormFactor & 0x0F);       // byte 7
        b[4] = (byte) (vbuls ? 0x01 : 0);               // byte 8
        return b;
    }
}
