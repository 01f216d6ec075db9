package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-5 6.35), MAINTENANCE IN service action 0Dh.
 *
 * @param repd             return the extended parameter data (16 bytes instead of 4)
 * @param allocationLength ALLOCATION LENGTH
 */
public record ReportSupportedTmfCdb(boolean repd, long allocationLength) {
    public static final CdbField REPD = CdbField.bit("REPD", 2, 7);
    public static final CdbField ALLOCATION_LENGTH = CdbField.bytes("ALLOCATION LENGTH", 6, 4);
    public static final List<CdbField> FIELDS = List.of(OperationCode.SERVICE_ACTION, REPD, ALLOCATION_LENGTH,
            CdbField.naca(12));

    public static ReportSupportedTmfCdb decode(byte[] cdb) {
        return new ReportSupportedTmfCdb(REPD.isSet(cdb), ALLOCATION_LENGTH.read(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[12];
        cdb[0] = (byte) OperationCode.MAINTENANCE_IN.code();
        OperationCode.SERVICE_ACTION.write(cdb,
                OperationCode.MaintenanceIn.REPORT_SUPPORTED_TASK_MANAGEMENT_FUNCTIONS.code());
        REPD.write(cdb, repd ? 1 : 0);
        ALLOCATION_LENGTH.write(cdb, allocationLength);
        return cdb;
    }
}
