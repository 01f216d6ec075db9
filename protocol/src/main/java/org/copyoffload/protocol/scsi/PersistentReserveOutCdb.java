package org.copyoffload.protocol.scsi;

import java.util.List;
import java.util.Optional;

/**
 * PERSISTENT RESERVE OUT (SPC-4 6.16.1, Table 211): operation code 5Fh, SERVICE ACTION in byte 1 bits 4:0, SCOPE
 * (bits 7:4) and TYPE (bits 3:0) in byte 2, the 32-bit PARAMETER LIST LENGTH in bytes 5-8, CONTROL in byte 9.
 *
 * <p>SCOPE and TYPE are kept as received: REGISTER, REGISTER AND IGNORE EXISTING KEY and CLEAR ignore them (SPC-4
 * Table 215), so only the service actions that use them check them ({@link #type()}, {@link #checkScope()}).
 *
 * @param serviceAction       SERVICE ACTION
 * @param scope               SCOPE as received
 * @param typeCode            TYPE as received
 * @param parameterListLength PARAMETER LIST LENGTH
 */
public record PersistentReserveOutCdb(ServiceAction serviceAction, int scope, int typeCode, long parameterListLength) {
    public static final CdbField SCOPE = CdbField.bits("SCOPE", 2, 7, 4);
    public static final CdbField TYPE = CdbField.bits("TYPE", 2, 3, 4);
    public static final CdbField PARAMETER_LIST_LENGTH = CdbField.bytes("PARAMETER LIST LENGTH", 5, 4);
    public static final List<CdbField> FIELDS = List.of(OperationCode.SERVICE_ACTION, SCOPE, TYPE,
            PARAMETER_LIST_LENGTH, CdbField.naca(10));
    /** LU_SCOPE, the only scope SPC-4 keeps (element scope is obsolete). */
    public static final int LU_SCOPE = 0x0;

    /** Service actions (SPC-4 Table 212). REPLACE LOST RESERVATION (08h, SPC-5) is not one of them here. */
    public enum ServiceAction {
        REGISTER(0x00), RESERVE(0x01), RELEASE(0x02), CLEAR(0x03), PREEMPT(0x04), PREEMPT_AND_ABORT(0x05),
        REGISTER_AND_IGNORE_EXISTING_KEY(0x06), REGISTER_AND_MOVE(0x07);

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

    public PersistentReserveOutCdb(ServiceAction serviceAction, PersistentReservationType type, long length) {
        this(serviceAction, LU_SCOPE, type == null ? 0 : type.code(), length);
    }

    /** INVALID FIELD IN CDB at SERVICE ACTION for a service action not in Table 212. */
    public static PersistentReserveOutCdb decode(byte[] cdb) {
        int sa = OperationCode.SERVICE_ACTION.readInt(cdb);
        ServiceAction action = ServiceAction.lookup(sa).orElseThrow(() -> CheckCondition.invalidField(
                OperationCode.SERVICE_ACTION, sa, "not a PERSISTENT RESERVE OUT service action"));
        return new PersistentReserveOutCdb(action, SCOPE.readInt(cdb), TYPE.readInt(cdb),
                PARAMETER_LIST_LENGTH.read(cdb));
    }

    /** The reservation type, for RESERVE, RELEASE, PREEMPT (AND ABORT): INVALID FIELD IN CDB at TYPE otherwise. */
    public PersistentReservationType type() {
        return PersistentReservationType.lookup(typeCode).orElseThrow(() -> CheckCondition.invalidField(TYPE, typeCode,
                "not a persistent reservation type (1h, 3h, 5h-8h)"));
    }

    /** INVALID FIELD IN CDB at SCOPE unless it is LU_SCOPE. */
    public void checkScope() {
        if (scope != LU_SCOPE) {
            throw CheckCondition.invalidField(SCOPE, scope, "only LU_SCOPE (0h) is defined");
        }
    }

    public byte[] encode() {
        byte[] cdb = new byte[10];
        cdb[0] = (byte) OperationCode.PERSISTENT_RESERVE_OUT.code();
        OperationCode.SERVICE_ACTION.write(cdb, serviceAction.code());
        SCOPE.write(cdb, scope);
        TYPE.write(cdb, typeCode);
        PARAMETER_LIST_LENGTH.write(cdb, parameterListLength);
        return cdb;
    }
}
