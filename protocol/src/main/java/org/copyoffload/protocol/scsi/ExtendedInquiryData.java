package org.copyoffload.protocol.scsi;

/**
 * Extended INQUIRY Data (SPC-5 7.7.8), page length 3Ch. Only the bits this target can set are parameters; the
 * protection information, microcode and self-test fields stay zero.
 *
 * @param headSup             HEADSUP: HEAD OF QUEUE task attribute supported
 * @param ordSup              ORDSUP: ORDERED supported
 * @param simpSup             SIMPSUP: SIMPLE supported
 * @param volatileCache       V_SUP: a volatile cache is present (SYNCHRONIZE CACHE means something)
 * @param nonVolatileCache    NV_SUP
 * @param maxSenseDataLength  MAXIMUM SUPPORTED SENSE DATA LENGTH in bytes (0: not reported)
 */
public record ExtendedInquiryData(boolean headSup, boolean ordSup, boolean simpSup, boolean volatileCache,
                                  boolean nonVolatileCache, int maxSenseDataLength) implements VpdPage {
    @Override
    public int pageCode() {
        return EXTENDED_INQUIRY_DATA;
    }

    @Override
    public byte[] payload() {
        byte[] b = new byte[0x3C];
        // Byte n of the page is b[n - 4].
        b[5 - 4] = (byte) ((headSup ? 0x04 : 0) | (ordSup ? 0x02 : 0) | (simpSup ? 0x01 : 0));
        b[6 - 4] = (byte) ((nonVolatileCache ? 0x02 : 0) | (volatileCache ? 0x01 : 0));
        b[13 - 4] = (byte) maxSenseDataLength;
        return b;
    }
}
