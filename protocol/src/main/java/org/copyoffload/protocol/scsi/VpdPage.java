package org.copyoffload.protocol.scsi;

/**
 * A vital product data page (SPC-5 7.7): the 4-byte header (peripheral qualifier and device type, page code,
 * page length) and the page's own bytes.
 */
public interface VpdPage {
    int SUPPORTED_VPD_PAGES = 0x00;
    int UNIT_SERIAL_NUMBER = 0x80;
    int DEVICE_IDENTIFICATION = 0x83;
    int EXTENDED_INQUIRY_DATA = 0x86;
    int THIRD_PARTY_COPY = 0x8F;
    int BLOCK_LIMITS = 0xB0;
    int BLOCK_DEVICE_CHARACTERISTICS = 0xB1;
    int LOGICAL_BLOCK_PROVISIONING = 0xB2;
    int ZONED_BLOCK_DEVICE_CHARACTERISTICS = 0xB6;

    int pageCode();

    /** The bytes after the header. */
    byte[] payload();

    /** The whole page, with {@code peripheral} (qualifier in bits 7:5, device type in 4:0) in byte 0. */
    default byte[] encode(int peripheral) {
        byte[] payload = payload();
        if (payload.length > 0xFFFF) {
            throw new IllegalStateException("VPD page " + pageCode() + " of " + payload.length + " bytes");
        }
        byte[] page = new byte[4 + payload.length];
        page[0] = (byte) peripheral;
        page[1] = (byte) pageCode();
        Be.putShort(page, 2, payload.length);
        System.arraycopy(payload, 0, page, 4, payload.length);
        return page;
    }
}
