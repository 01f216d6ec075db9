package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * INQUIRY (SPC-5 6.7.1). The obsolete CMDDT bit is not evaluated.
 *
 * @param evpd             return the vital product data page {@code pageCode} instead of the standard data
 * @param pageCode         PAGE CODE (must be zero when EVPD is zero)
 * @param allocationLength ALLOCATION LENGTH (16 bits since SPC-3)
 */
public record InquiryCdb(boolean evpd, int pageCode, int allocationLength) {
    public static final CdbField EVPD = CdbField.bit("EVPD", 1, 0);
    public static final CdbField PAGE_CODE = CdbField.bytes("PAGE CODE", 2, 1);
    public static final CdbField ALLOCATION_LENGTH = CdbField.bytes("ALLOCATION LENGTH", 3, 2);
    public static final List<CdbField> FIELDS = List.of(EVPD, PAGE_CODE, ALLOCATION_LENGTH, CdbField.naca(6));

    public static InquiryCdb decode(byte[] cdb) {
        return new InquiryCdb(EVPD.isSet(cdb), PAGE_CODE.readInt(cdb), ALLOCATION_LENGTH.readInt(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[6];
        cdb[0] = (byte) OperationCode.INQUIRY.code();
        EVPD.write(cdb, evpd ? 1 : 0);
        PAGE_CODE.write(cdb, pageCode);
        ALLOCATION_LENGTH.write(cdb, allocationLength);
        return cdb;
    }
}
