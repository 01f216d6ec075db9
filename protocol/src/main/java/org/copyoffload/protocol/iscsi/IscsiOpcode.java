package org.copyoffload.protocol.iscsi;

import java.util.Optional;

/**
 * iSCSI opcodes (RFC 7143, 11.2.1.2): the low six bits of BHS byte 0. Codes below 0x20 are sent by the
 * initiator, the others by the target. Vendor-specific codes (0x1c-0x1e, 0x3c-0x3e) are not supported.
 */
public enum IscsiOpcode {
    NOP_OUT(0x00),
    SCSI_COMMAND(0x01),
    TASK_MANAGEMENT_REQUEST(0x02),
    LOGIN_REQUEST(0x03),
    TEXT_REQUEST(0x04),
    SCSI_DATA_OUT(0x05),
    LOGOUT_REQUEST(0x06),
    SNACK_REQUEST(0x10),
    NOP_IN(0x20),
    SCSI_RESPONSE(0x21),
    TASK_MANAGEMENT_RESPONSE(0x22),
    LOGIN_RESPONSE(0x23),
    TEXT_RESPONSE(0x24),
    SCSI_DATA_IN(0x25),
    LOGOUT_RESPONSE(0x26),
    R2T(0x31),
    ASYNC_MESSAGE(0x32),
    REJECT(0x3F);

    private static final IscsiOpcode[] BY_CODE = new IscsiOpcode[64];

    static {
        for (IscsiOpcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    IscsiOpcode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** True for the opcodes an initiator sends (RFC 7143, 11.2.1.2: 0x00-0x1f). */
    public boolean fromInitiator() {
        return code < 0x20;
    }

    public static Optional<IscsiOpcode> lookup(int code) {
        return code >= 0 && code < BY_CODE.length ? Optional.ofNullable(BY_CODE[code]) : Optional.empty();
    }
}
