package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * REPORT SUPPORTED OPERATION CODES (SPC-5 6.34), MAINTENANCE IN service action 0Ch.
 *
 * @param rctd                   return command timeouts descriptors
 * @param reportingOptions       REPORTING OPTIONS: 000b all commands; 001b one operation code (which must not have
 *                               service actions); 010b one operation code and service action (which must have
 *                               them); 011b one operation code, with the service action if it has them
 * @param requestedOpcode        REQUESTED OPERATION CODE
 * @param requestedServiceAction REQUESTED SERVICE ACTION
 * @param allocationLength       ALLOCATION LENGTH
 */
public record ReportSupportedOpcodesCdb(boolean rctd, int reportingOptions, int requestedOpcode,
                                        int requestedServiceAction, long allocationLength) {
    public static final CdbField RCTD = CdbField.bit("RCTD", 2, 7);
    public static final CdbField REPORTING_OPTIONS = CdbField.bits("REPORTING OPTIONS", 2, 2, 3);
    public static final CdbField REQUESTED_OPCODE = CdbField.bytes("REQUESTED OPERATION CODE", 3, 1);
    public static final CdbField REQUESTED_SERVICE_ACTION = CdbField.bytes("REQUESTED SERVICE ACTION", 4, 2);
    public static final CdbField ALLOCATION_LENGTH = CdbField.bytes("ALLOCATION LENGTH", 6, 4);
    public static final List<CdbField> FIELDS = List.of(OperationCode.SERVICE_ACTION, RCTD, REPORTING_OPTIONS,
            REQUESTED_OPCODE, REQUESTED_SERVICE_ACTION, ALLOCATION_LENGTH, CdbField.naca(12));

    public static ReportSupportedOpcodesCdb decode(byte[] cdb) {
        return new ReportSupportedOpcodesCdb(RCTD.isSet(cdb), REPORTING_OPTIONS.readInt(cdb),
                REQUESTED_OPCODE.readInt(cdb), REQUESTED_SERVICE_ACTION.readInt(cdb), ALLOCATION_LENGTH.read(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[12];
        cdb[0] = (byte) OperationCode.MAINTENANCE_IN.code();
        OperationCode.SERVICE_ACTION.write(cdb,
                OperationCode.MaintenanceIn.REPORT_SUPPORTED_OPERATION_CODES.code());
        RCTD.write(cdb, rctd ? 1 : 0);
        REPORTING_OPTIONS.write(cdb, reportingOptions);
        REQUESTED_OPCODE.write(cdb, requestedOpcode);
        REQUESTED_SERVICE_ACTION.write(cdb, requestedServiceAction);
        ALLOCATION_LENGTH.write(cdb, allocationLength);
        return cdb;
    }
}
