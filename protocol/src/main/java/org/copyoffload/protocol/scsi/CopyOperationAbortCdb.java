package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * COPY OPERATION ABORT (SPC-4 6.3, Table 103): operation code 83h, service action 1Ch, the 32-bit LIST IDENTIFIER of
 * the copy to abort in bytes 2-5; no data.
 *
 * @param listIdentifier LIST IDENTIFIER
 */
public record CopyOperationAbortCdb(long listIdentifier) {
    public static final CdbField LIST_IDENTIFIER = CdbField.bytes("LIST IDENTIFIER", 2, 4);
    public static final List<CdbField> FIELDS = List.of(OperationCode.SERVICE_ACTION, LIST_IDENTIFIER,
            CdbField.naca(16));

    public static CopyOperationAbortCdb decode(byte[] cdb) {
        return new CopyOperationAbortCdb(LIST_IDENTIFIER.read(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) OperationCode.EXTENDED_COPY.code();
        OperationCode.SERVICE_ACTION.write(cdb, OperationCode.ExtendedCopy.COPY_OPERATION_ABORT.code());
        LIST_IDENTIFIER.write(cdb, listIdentifier);
        return cdb;
    }
}
