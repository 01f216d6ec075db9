package org.copyoffload.protocol.scsi;

/**
 * Zoned Block Device Characteristics VPD page (B6h, ZBC-2), page length 3Ch: URSWRZ in byte 4 bit 0, OPTIMAL NUMBER
 * OF OPEN SEQUENTIAL WRITE PREFERRED ZONES in bytes 8-11, OPTIMAL NUMBER OF NON-SEQUENTIALLY WRITTEN SEQUENTIAL WRITE
 * PREFERRED ZONES in 12-15, MAXIMUM NUMBER OF OPEN SEQUENTIAL WRITE REQUIRED ZONES in 16-19. Linux (sd_zbc) refuses a
 * host managed device whose URSWRZ is zero, and takes the maximum as the queue's max_open_zones.
 *
 * @param urswrz                 URSWRZ: reads of sequential write required zones are unrestricted (across zone
 *                               boundaries and above write pointers, where they return zeros)
 * @param optimalOpenPreferred   OPTIMAL NUMBER OF OPEN SEQUENTIAL WRITE PREFERRED ZONES (FFFFFFFFh: not reported)
 * @param optimalNonSequential   OPTIMAL NUMBER OF NON-SEQUENTIALLY WRITTEN SEQUENTIAL WRITE PREFERRED ZONES
 *                               (FFFFFFFFh: not reported)
 * @param maxOpenRequired        MAXIMUM NUMBER OF OPEN SEQUENTIAL WRITE REQUIRED ZONES (FFFFFFFFh: no limit)
 */
public record ZonedBlockDeviceCharacteristics(boolean urswrz, long optimalOpenPreferred, long optimalNonSequential,
                                              long maxOpenRequired) implements VpdPage {
    public static final int PAGE_LENGTH = 0x3C;
    /** The value of the counts for "not reported" and "no limit". */
    public static final long NOT_REPORTED = 0xFFFF_FFFFL;

    @Override
    public int pageCode() {
        return ZONED_BLOCK_DEVICE_CHARACTERISTICS;
    }

    @Override
    public byte[] payload() {
        byte[] b = new byte[PAGE_LENGTH];
        b[0] = (byte) (urswrz ? 0x01 : 0);            // byte 4
        Be.putInt(b, 4, (int) optimalOpenPreferred);  // bytes 8-11
        Be.putInt(b, 8, (int) optimalNonSequential);  // bytes 12-15
        Be.putInt(b, 12, (int) maxOpenRequired);      // bytes 16-19
        return b;
    }

    /**
     * Reads a whole page as INQUIRY returns it (header included).
     *
     * @throws IllegalArgumentException naming the field for another page code or a page shorter than 20 bytes
     */
    public static ZonedBlockDeviceCharacteristics decode(byte[] page) {
        if (page.length < 20) {
            throw new IllegalArgumentException("zoned block device characteristics page of " + page.length
                    + " bytes: need 20 for its fields");
        }
        if ((page[1] & 0xFF) != ZONED_BLOCK_DEVICE_CHARACTERISTICS) {
            throw new IllegalArgumentException(String.format("PAGE CODE %02Xh is not B6h", page[1] & 0xFF));
        }
        return new ZonedBlockDeviceCharacteristics((page[4] & 0x01) != 0, Integer.toUnsignedLong(Be.getInt(page, 8)),
                Integer.toUnsignedLong(Be.getInt(page, 12)), Integer.toUnsignedLong(Be.getInt(page, 16)));
    }
}
