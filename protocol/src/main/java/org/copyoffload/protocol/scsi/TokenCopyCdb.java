package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * POPULATE TOKEN and WRITE USING TOKEN (SBC-4 POPULATE TOKEN, WRITE USING TOKEN): operation code 83h, the service action
 * in byte 1 (10h, 11h), LIST IDENTIFIER in bytes 6-9, PARAMETER LIST LENGTH in bytes 10-13 and GROUP NUMBER in byte
 * 14 bits 4:0. The parameter lists are {@link PopulateTokenParameters} and {@link WriteUsingTokenParameters}.
 *
 * @param serviceAction       POPULATE TOKEN or WRITE USING TOKEN
 * @param listIdentifier      LIST IDENTIFIER, in the same space as EXTENDED COPY (LID4)'s for the I_T nexus
 * @param parameterListLength PARAMETER LIST LENGTH
 * @param groupNumber         GROUP NUMBER (evaluated as zero: no grouping function is implemented)
 */
public record TokenCopyCdb(OperationCode.ExtendedCopy serviceAction, long listIdentifier, long parameterListLength,
                           int groupNumber) {
    public static final CdbField LIST_IDENTIFIER = CdbField.bytes("LIST IDENTIFIER", 6, 4);
    public static final CdbField PARAMETER_LIST_LENGTH = CdbField.bytes("PARAMETER LIST LENGTH", 10, 4);
    public static final CdbField GROUP_NUMBER = CdbField.bits("GROUP NUMBER", 14, 4, 5);
    public static final List<CdbField> FIELDS = List.of(OperationCode.SERVICE_ACTION, LIST_IDENTIFIER,
            PARAMETER_LIST_LENGTH, CdbField.naca(16));

    public TokenCopyCdb {
        if (serviceAction != OperationCode.ExtendedCopy.POPULATE_TOKEN
                && serviceAction != OperationCode.ExtendedCopy.WRITE_USING_TOKEN) {
            throw new IllegalArgumentException(serviceAction + " is not a token copy service action");
        }
        if (groupNumber < 0 || groupNumber > 0x1F) {
            throw new IllegalArgumentException("GROUP NUMBER " + groupNumber + " does not fit 5 bits");
        }
    }

    /**
     * @throws CheckCondition INVALID FIELD IN CDB at SERVICE ACTION when it is neither 10h nor 11h
     */
    public static TokenCopyCdb decode(byte[] cdb) {
        int sa = OperationCode.SERVICE_ACTION.readInt(cdb);
        OperationCode.ExtendedCopy action;
        if (sa == OperationCode.ExtendedCopy.POPULATE_TOKEN.code()) {
            action = OperationCode.ExtendedCopy.POPULATE_TOKEN;
        } else if (sa == OperationCode.ExtendedCopy.WRITE_USING_TOKEN.code()) {
            action = OperationCode.ExtendedCopy.WRITE_USING_TOKEN;
        } else {
            throw CheckCondition.invalidField(OperationCode.SERVICE_ACTION, sa, "not POPULATE TOKEN or WRITE USING TOKEN");
        }
        return new TokenCopyCdb(action, LIST_IDENTIFIER.read(cdb), PARAMETER_LIST_LENGTH.read(cdb),
                GROUP_NUMBER.readInt(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) OperationCode.EXTENDED_COPY.code();
        OperationCode.SERVICE_ACTION.write(cdb, serviceAction.code());
        LIST_IDENTIFIER.write(cdb, listIdentifier);
        PARAMETER_LIST_LENGTH.write(cdb, parameterListLength);
        GROUP_NUMBER.write(cdb, groupNumber);
        return cdb;
    }
}
