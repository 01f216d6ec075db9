package org.copyoffload.protocol.scsi;

import java.util.List;
import java.util.Optional;

/**
 * PERSISTENT RESERVE IN (SPC-4 6.15.1, Table 196): operation code 5Eh, SERVICE ACTION in byte 1 bits 4:0, ALLOCATION
 * LENGTH in bytes 7-8, CONTROL in byte 9.
 *
 * @param serviceAction    SERVICE ACTION
 * @param allocationLength ALLOCATION LENGTH
 */
public record PersistentReserveInCdb(ServiceAction serviceAction, int allocationLength) {
    public static final CdbField ALLOCATION_LENGTH = CdbField.bytes("ALLOCATION LENGTH", 7, 2);
    public static final List<CdbField> FIELDS = List.of(OperationCode.SERVICE_ACTION, ALLOCATION_LENGTH,
            CdbField.naca(10));

    /** Service actions (SPC-4 Table 197). */
    public enum ServiceAction {
        READ_KEYS(0x00), READ_RESERVATION(0x01), REPORT_CAPABILITIES(0x02), READ_FULL_STATUS(0x03);

        private final int code;

        ServiceAction(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Optional<ServiceAction> lookup(int code) {
            for (ServiceAction s : values()) {
                if (s.code == code) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /** INVALID FIELD IN CDB at SERVICE ACTION for a service action SPC-4 does not define (or one added later). */
    public static PersistentReserveInCdb decode(byte[] cdb) {
        int sa = OperationCode.SERVICE_ACTION.readInt(cdb);
        ServiceAction action = ServiceAction.lookup(sa).orElseThrow(() -> CheckCondition.invalidField(
                OperationCode.SERVICE_ACTION, sa, "not a PERSISTENT RESERVE IN service action"));
        return new PersistentReserveInCdb(action, ALLOCATION_LENGTH.readInt(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[10];
        cdb[0] = (byte) OperationCode.PERSISTENT_RESERVE_IN.code();
        OperationCode.SERVICE_ACTION.write(cdb, serviceAction.code());
        ALLOCATION_LENGTH.write(cdb, allocationLength);
        return cdb;
    }
}
