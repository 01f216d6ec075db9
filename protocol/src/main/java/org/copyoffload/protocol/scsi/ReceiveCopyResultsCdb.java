package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * RECEIVE COPY RESULTS (SPC-4 6.18.1, Table 109): operation code 84h, the service action in byte 1, the LIST
 * IDENTIFIER of the EXTENDED COPY (LID1) asked about in byte 2 (ignored by OPERATING PARAMETERS) and the 32-bit
 * ALLOCATION LENGTH in bytes 10-13.
 *
 * @param serviceAction    SERVICE ACTION
 * @param listIdentifier   LIST IDENTIFIER
 * @param allocationLength ALLOCATION LENGTH
 */
public record ReceiveCopyResultsCdb(int serviceAction, int listIdentifier, long allocationLength) {
    public static final CdbField LIST_IDENTIFIER = CdbField.bytes("LIST IDENTIFIER", 2, 1);
    public static final CdbField ALLOCATION_LENGTH = CdbField.bytes("ALLOCATION LENGTH", 10, 4);

    /** The fields each service action evaluates (OPERATING PARAMETERS has no use for the list identifier). */
    public static List<CdbField> fields(OperationCode.ReceiveCopyResults sa) {
        return sa == OperationCode.ReceiveCopyResults.OPERATING_PARAMETERS
                ? List.of(OperationCode.SERVICE_ACTION, ALLOCATION_LENGTH, CdbField.naca(16))
                : List.of(OperationCode.SERVICE_ACTION, LIST_IDENTIFIER, ALLOCATION_LENGTH, CdbField.naca(16));
    }

    public static ReceiveCopyResultsCdb decode(byte[] cdb) {
        return new ReceiveCopyResultsCdb(OperationCode.SERVICE_ACTION.readInt(cdb), LIST_IDENTIFIER.readInt(cdb),
                ALLOCATION_LENGTH.read(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) OperationCode.RECEIVE_COPY_RESULTS.code();
        OperationCode.SERVICE_ACTION.write(cdb, serviceAction);
        LIST_IDENTIFIER.write(cdb, listIdentifier);
        ALLOCATION_LENGTH.write(cdb, allocationLength);
        return cdb;
    }
}
