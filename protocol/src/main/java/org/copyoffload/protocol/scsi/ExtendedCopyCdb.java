package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * EXTENDED COPY (LID1) (SPC-4 6.4.1, Table 104): operation code 83h, service action 00h, the 32-bit PARAMETER LIST
 * LENGTH in bytes 10-13. The parameter list is {@link ExtendedCopyParameterList}.
 *
 * @param parameterListLength PARAMETER LIST LENGTH; zero is not an error (SPC-4: no copy takes place)
 */
public record ExtendedCopyCdb(long parameterListLength) {
    public static final CdbField PARAMETER_LIST_LENGTH = CdbField.bytes("PARAMETER LIST LENGTH", 10, 4);
    public static final List<CdbField> FIELDS = List.of(OperationCode.SERVICE_ACTION, PARAMETER_LIST_LENGTH,
            CdbField.naca(16));

    public static ExtendedCopyCdb decode(byte[] cdb) {
        return new ExtendedCopyCdb(PARAMETER_LIST_LENGTH.read(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) OperationCode.EXTENDED_COPY.code();
        OperationCode.SERVICE_ACTION.write(cdb, OperationCode.ExtendedCopy.LID1.code());
        PARAMETER_LIST_LENGTH.write(cdb, parameterListLength);
        return cdb;
    }
}
