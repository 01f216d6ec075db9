package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * REPORT LUNS (SPC-5 6.33).
 *
 * @param selectReport     SELECT REPORT: 00h LUNs other than well known ones, 01h well known LUNs, 02h all,
 *                         10h/11h/12h administrative / subsidiary LUNs (SPC-5)
 * @param allocationLength ALLOCATION LENGTH
 */
public record ReportLunsCdb(int selectReport, long allocationLength) {
    public static final CdbField SELECT_REPORT = CdbField.bytes("SELECT REPORT", 2, 1);
    public static final CdbField ALLOCATION_LENGTH = CdbField.bytes("ALLOCATION LENGTH", 6, 4);
    public static final List<CdbField> FIELDS = List.of(SELECT_REPORT, ALLOCATION_LENGTH, CdbField.naca(12));

    public static ReportLunsCdb decode(byte[] cdb) {
        return new ReportLunsCdb(SELECT_REPORT.readInt(cdb), ALLOCATION_LENGTH.read(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[12];
        cdb[0] = (byte) OperationCode.REPORT_LUNS.code();
        SELECT_REPORT.write(cdb, selectReport);
        ALLOCATION_LENGTH.write(cdb, allocationLength);
        return cdb;
    }
}
