package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * RECEIVE COPY RESULTS / RECEIVE COPY STATUS (SPC-4 6.18.1, Table 109, and the LID4 forms of 6.18 / SPC-5 6.22):
 * operation code 84h, the service action in byte 1, the LIST IDENTIFIER asked about (LID1 forms: one byte at byte
 * 2; LID4 forms, 05h and 06h: four bytes at 2-5; OPERATING PARAMETERS ignores it) and the 32-bit ALLOCATION LENGTH
 * in bytes 10-13. RECEIVE ROD TOKEN INFORMATION (07h) has the four-byte LIST IDENTIFIER; REPORT ALL ROD TOKENS
 * (08h) none.
 *
 * @param serviceAction    SERVICE ACTION
 * @param listIdentifier   LIST IDENTIFIER
 * @param allocationLength ALLOCATION LENGTH
 */
public record ReceiveCopyResultsCdb(int serviceAction, long listIdentifier, long allocationLength) {
    public static final CdbField LIST_IDENTIFIER = CdbField.bytes("LIST IDENTIFIER", 2, 1);
    public static final CdbField LIST_IDENTIFIER_LID4 = CdbField.bytes("LIST IDENTIFIER", 2, 4);
    public static final CdbField ALLOCATION_LENGTH = CdbField.bytes("ALLOCATION LENGTH", 10, 4);

    /** The fields each service action evaluates (OPERATING PARAMETERS has no use for the list identifier). */
    public static List<CdbField> fields(OperationCode.ReceiveCopyResults sa) {
        return switch (sa) {
            case OPERATING_PARAMETERS -> List.of(OperationCode.SERVICE_ACTION, ALLOCATION_LENGTH, CdbField.naca(16));
            case REPORT_ALL_ROD_TOKENS -> List.of(OperationCode.SERVICE_ACTION, ALLOCATION_LENGTH, CdbField.naca(16));
            case COPY_STATUS_LID4, COPY_DATA_LID4, RECEIVE_ROD_TOKEN_INFORMATION -> List.of(OperationCode.SERVICE_ACTION, LIST_IDENTIFIER_LID4,
                    ALLOCATION_LENGTH, CdbField.naca(16));
            default -> List.of(OperationCode.SERVICE_ACTION, LIST_IDENTIFIER, ALLOCATION_LENGTH, CdbField.naca(16));
        };
    }

    /** The LIST IDENTIFIER field of this service action. */
    public static CdbField listIdentifierField(int serviceAction) {
        return serviceAction == OperationCode.ReceiveCopyResults.COPY_STATUS_LID4.code()
                || serviceAction == OperationCode.ReceiveCopyResults.COPY_DATA_LID4.code()
                || serviceAction == OperationCode.ReceiveCopyResults.RECEIVE_ROD_TOKEN_INFORMATION.code()
                ? LIST_IDENTIFIER_LID4 : LIST_IDENTIFIER;
    }

    public static ReceiveCopyResultsCdb decode(byte[] cdb) {
        int sa = OperationCode.SERVICE_ACTION.readInt(cdb);
        return new ReceiveCopyResultsCdb(sa, listIdentifierField(sa).read(cdb), ALLOCATION_LENGTH.read(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) OperationCode.RECEIVE_COPY_RESULTS.code();
        OperationCode.SERVICE_ACTION.write(cdb, serviceAction);
        listIdentifierField(serviceAction).write(cdb, listIdentifier);
        ALLOCATION_LENGTH.write(cdb, allocationLength);
        return cdb;
    }
}
