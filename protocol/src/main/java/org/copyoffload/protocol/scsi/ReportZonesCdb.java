package org.copyoffload.protocol.scsi;

import java.util.List;
import java.util.Optional;

/**
 * REPORT ZONES (ZBC-2: ZBC IN, operation code 95h, service action 00h): ZONE START LBA in bytes 2-9, ALLOCATION
 * LENGTH in bytes 10-13, PARTIAL in byte 14 bit 7 and REPORTING OPTIONS in byte 14 bits 5:0, CONTROL in byte 15.
 *
 * @param zoneStartLba     ZONE START LBA: the report starts with the zone holding it
 * @param allocationLength ALLOCATION LENGTH
 * @param partial          PARTIAL: ZONE LIST LENGTH counts only the descriptors that fit
 * @param option           REPORTING OPTIONS
 */
public record ReportZonesCdb(long zoneStartLba, long allocationLength, boolean partial, ReportingOption option) {
    public static final CdbField ZONE_START_LBA = CdbField.bytes("ZONE START LBA", 2, 8);
    public static final CdbField ALLOCATION_LENGTH = CdbField.bytes("ALLOCATION LENGTH", 10, 4);
    public static final CdbField PARTIAL = CdbField.bit("PARTIAL", 14, 7);
    public static final CdbField REPORTING_OPTIONS = CdbField.bits("REPORTING OPTIONS", 14, 5, 6);
    public static final List<CdbField> FIELDS = List.of(OperationCode.SERVICE_ACTION, ZONE_START_LBA,
            ALLOCATION_LENGTH, PARTIAL, REPORTING_OPTIONS, CdbField.naca(16));

    /** REPORTING OPTIONS (ZBC-2): which zones the report lists. */
    public enum ReportingOption {
        ALL(0x00), EMPTY(0x01), IMPLICITLY_OPENED(0x02), EXPLICITLY_OPENED(0x03), CLOSED(0x04), FULL(0x05),
        READ_ONLY(0x06), OFFLINE(0x07),
        /** Zones whose condition is INACTIVE (zone domains). */
        INACTIVE(0x08),
        /** Zones with RWP RECOMMENDED set. */
        RESET_WRITE_POINTER_RECOMMENDED(0x10),
        /** Zones with NON_SEQ set (sequential write preferred zones written out of order). */
        NON_SEQUENTIAL_WRITE_RESOURCES_ACTIVE(0x11),
        /** Every zone but gap zones. */
        ALL_EXCEPT_GAP(0x3E),
        /** Zones of condition NOT WRITE POINTER (conventional and gap zones). */
        NOT_WRITE_POINTER(0x3F);

        private final int code;

        ReportingOption(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Optional<ReportingOption> lookup(int code) {
            for (ReportingOption o : values()) {
                if (o.code == code) {
                    return Optional.of(o);
                }
            }
            return Optional.empty();
        }
    }

    /** INVALID FIELD IN CDB at SERVICE ACTION for another ZBC IN action, at REPORTING OPTIONS for a reserved one. */
    public static ReportZonesCdb decode(byte[] cdb) {
        int sa = OperationCode.SERVICE_ACTION.readInt(cdb);
        if (sa != OperationCode.ZbcIn.REPORT_ZONES.code()) {
            throw CheckCondition.invalidField(OperationCode.SERVICE_ACTION, sa, "not REPORT ZONES");
        }
        int option = REPORTING_OPTIONS.readInt(cdb);
        ReportingOption o = ReportingOption.lookup(option).orElseThrow(() -> CheckCondition.invalidField(
                REPORTING_OPTIONS, option, "reserved reporting option"));
        return new ReportZonesCdb(ZONE_START_LBA.read(cdb), ALLOCATION_LENGTH.read(cdb), PARTIAL.isSet(cdb), o);
    }

    public byte[] encode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) OperationCode.ZBC_IN.code();
        OperationCode.SERVICE_ACTION.write(cdb, OperationCode.ZbcIn.REPORT_ZONES.code());
        ZONE_START_LBA.write(cdb, zoneStartLba);
        ALLOCATION_LENGTH.write(cdb, allocationLength);
        PARTIAL.write(cdb, partial ? 1 : 0);
        REPORTING_OPTIONS.write(cdb, option.code());
        return cdb;
    }
}
