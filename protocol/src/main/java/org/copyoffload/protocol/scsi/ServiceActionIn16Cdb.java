package org.copyoffload.protocol.scsi;

import java.util.List;
import org.copyoffload.protocol.scsi.OperationCode.ServiceActionIn16;

/**
 * SERVICE ACTION IN (16) for READ CAPACITY (16) (SBC-4 5.20) and GET LBA STATUS (5.5). READ CAPACITY (16)'s
 * obsolete LBA and PMI fields and GET LBA STATUS's REPORT TYPE are not evaluated.
 *
 * @param serviceAction    SERVICE ACTION
 * @param lba              STARTING LOGICAL BLOCK ADDRESS (GET LBA STATUS only; zero otherwise)
 * @param allocationLength ALLOCATION LENGTH
 */
public record ServiceActionIn16Cdb(int serviceAction, long lba, long allocationLength) {
    public static final CdbField LBA = CdbField.bytes("STARTING LOGICAL BLOCK ADDRESS", 2, 8);
    public static final CdbField ALLOCATION_LENGTH = CdbField.bytes("ALLOCATION LENGTH", 10, 4);

    public static ServiceActionIn16Cdb decode(byte[] cdb) {
        int sa = OperationCode.SERVICE_ACTION.readInt(cdb);
        long lba = sa == ServiceActionIn16.GET_LBA_STATUS.code() ? LBA.read(cdb) : 0;
        return new ServiceActionIn16Cdb(sa, lba, ALLOCATION_LENGTH.read(cdb));
    }

    public static List<CdbField> fields(ServiceActionIn16 sa) {
        return sa == ServiceActionIn16.GET_LBA_STATUS
                ? List.of(OperationCode.SERVICE_ACTION, LBA, ALLOCATION_LENGTH, CdbField.naca(16))
                : List.of(OperationCode.SERVICE_ACTION, ALLOCATION_LENGTH, CdbField.naca(16));
    }

    public byte[] encode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) OperationCode.SERVICE_ACTION_IN_16.code();
        OperationCode.SERVICE_ACTION.write(cdb, serviceAction);
        LBA.write(cdb, lba);
        ALLOCATION_LENGTH.write(cdb, allocationLength);
        return cdb;
    }
}
