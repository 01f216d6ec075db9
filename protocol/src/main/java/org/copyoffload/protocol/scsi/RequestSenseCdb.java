package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * REQUEST SENSE (SPC-5 6.39).
 *
 * @param descriptorFormat DESC: return descriptor-format sense data
 * @param allocationLength ALLOCATION LENGTH
 */
public record RequestSenseCdb(boolean descriptorFormat, int allocationLength) {
    public static final CdbField DESC = CdbField.bit("DESC", 1, 0);
    public static final CdbField ALLOCATION_LENGTH = CdbField.bytes("ALLOCATION LENGTH", 4, 1);
    public static final List<CdbField> FIELDS = List.of(DESC, ALLOCATION_LENGTH, CdbField.naca(6));

    public static RequestSenseCdb decode(byte[] cdb) {
        return new RequestSenseCdb(DESC.isSet(cdb), ALLOCATION_LENGTH.readInt(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[6];
        cdb[0] = (byte) OperationCode.REQUEST_SENSE.code();
        DESC.write(cdb, descriptorFormat ? 1 : 0);
        ALLOCATION_LENGTH.write(cdb, allocationLength);
        return cdb;
    }
}
