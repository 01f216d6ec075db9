package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * EXTENDED COPY (LID1) and (LID4) (SPC-4 6.4.1, Table 104 and its LID4 twin): operation code 83h, service action 00h
 * or 01h, the 32-bit PARAMETER LIST LENGTH in bytes 10-13. The parameter list is {@link ExtendedCopyParameterList}
 * in the format the service action names.
 *
 * @param serviceAction       LID1 or LID4
 * @param parameterListLength PARAMETER LIST LENGTH; zero is not an error (SPC-4: no copy takes place)
 */
public record ExtendedCopyCdb(OperationCode.ExtendedCopy serviceAction, long parameterListLength) {
    public static final CdbField PARAMETER_LIST_LENGTH = CdbField.bytes("PARAMETER LIST LENGTH", 10, 4);
    public static final List<CdbField> FIELDS = List.of(OperationCode.SERVICE_ACTION, PARAMETER_LIST_LENGTH,
            CdbField.naca(16));

    public ExtendedCopyCdb {
        if (serviceAction == OperationCode.ExtendedCopy.COPY_OPERATION_ABORT) {
            throw new IllegalArgumentException("COPY OPERATION ABORT is " + CopyOperationAbortCdb.class.getName());
        }
    }

    /** EXTENDED COPY (LID1). */
    public ExtendedCopyCdb(long parameterListLength) {
        this(OperationCode.ExtendedCopy.LID1, parameterListLength);
    }

    public static ExtendedCopyCdb decode(byte[] cdb) {
        int sa = OperationCode.SERVICE_ACTION.readInt(cdb);
        return new ExtendedCopyCdb(sa == OperationCode.ExtendedCopy.LID4.code() ? OperationCode.ExtendedCopy.LID4
                : OperationCode.ExtendedCopy.LID1, PARAMETER_LIST_LENGTH.read(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) OperationCode.EXTENDED_COPY.code();
        OperationCode.SERVICE_ACTION.write(cdb, serviceAction.code());
        PARAMETER_LIST_LENGTH.write(cdb, parameterListLength);
        return cdb;
    }
}
