package org.copyoffload.protocol.scsi;

/** Unit Serial Number (SPC-5 7.7.18): PRODUCT SERIAL NUMBER in printable ASCII. */
public record UnitSerialNumber(String serial) implements VpdPage {
    @Override
    public int pageCode() {
        return UNIT_SERIAL_NUMBER;
    }

    @Override
    public byte[] payload() {
        byte[] b = new byte[serial.length()];
        Be.putAscii(b, 0, b.length, serial);
        return b;
    }
}
