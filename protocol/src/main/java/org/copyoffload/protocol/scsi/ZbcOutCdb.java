package org.copyoffload.protocol.scsi;

import java.util.List;
import org.copyoffload.protocol.scsi.OperationCode.ZbcOut;

/**
 * ZBC OUT (ZBC-2, operation code 94h): CLOSE ZONE, FINISH ZONE, OPEN ZONE and RESET WRITE POINTER share one layout:
 * SERVICE ACTION in byte 1 bits 4:0, ZONE ID in bytes 2-9, ZONE COUNT in bytes 12-13 (ZBC-2; 0 and 1 both mean one
 * zone), ALL in byte 14 bit 0, CONTROL in byte 15. With ALL set the ZONE ID and ZONE COUNT are ignored.
 *
 * @param action    SERVICE ACTION
 * @param zoneId    ZONE ID: the start LBA of the (first) zone
 * @param zoneCount ZONE COUNT
 * @param all       ALL
 */
public record ZbcOutCdb(ZbcOut action, long zoneId, int zoneCount, boolean all) {
    public static final CdbField ZONE_ID = CdbField.bytes("ZONE ID", 2, 8);
    public static final CdbField ZONE_COUNT = CdbField.bytes("ZONE COUNT", 12, 2);
    public static final CdbField ALL = CdbField.bit("ALL", 14, 0);
    public static final List<CdbField> FIELDS = List.of(OperationCode.SERVICE_ACTION, ZONE_ID, ZONE_COUNT, ALL,
            CdbField.naca(16));

    /** INVALID FIELD IN CDB at SERVICE ACTION for an action ZBC-2 does not define here (SEQUENTIALIZE ZONE...). */
    public static ZbcOutCdb decode(byte[] cdb) {
        int sa = OperationCode.SERVICE_ACTION.readInt(cdb);
        ZbcOut action = ZbcOut.lookup(sa).orElseThrow(() -> CheckCondition.invalidField(
                OperationCode.SERVICE_ACTION, sa, "not a ZBC OUT service action this device server implements"));
        return new ZbcOutCdb(action, ZONE_ID.read(cdb), ZONE_COUNT.readInt(cdb), ALL.isSet(cdb));
    }

    /** The number of zones a single-zone form names: ZONE COUNT, where 0 means 1. */
    public int zones() {
        return Math.max(1, zoneCount);
    }

    public byte[] encode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) OperationCode.ZBC_OUT.code();
        OperationCode.SERVICE_ACTION.write(cdb, action.code());
        ZONE_ID.write(cdb, zoneId);
        ZONE_COUNT.write(cdb, zoneCount);
        ALL.write(cdb, all ? 1 : 0);
        return cdb;
    }
}
