package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * UNMAP (SBC-4 5.30); the parameter list is {@link UnmapParameterList}. GROUP NUMBER is not evaluated.
 *
 * @param anchor              ANCHOR: anchor rather than deallocate
 * @param parameterListLength PARAMETER LIST LENGTH
 */
public record UnmapCdb(boolean anchor, int parameterListLength) {
    public static final CdbField ANCHOR = CdbField.bit("ANCHOR", 1, 0);
    public static final CdbField PARAMETER_LIST_LENGTH = CdbField.bytes("PARAMETER LIST LENGTH", 7, 2);
    public static final List<CdbField> FIELDS = List.of(ANCHOR, PARAMETER_LIST_LENGTH, CdbField.naca(10));

    public static UnmapCdb decode(byte[] cdb) {
        return new UnmapCdb(ANCHOR.isSet(cdb), PARAMETER_LIST_LENGTH.readInt(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[10];
        cdb[0] = (byte) OperationCode.UNMAP.code();
        ANCHOR.write(cdb, anchor ? 1 : 0);
        PARAMETER_LIST_LENGTH.write(cdb, parameterListLength);
        return cdb;
    }
}
