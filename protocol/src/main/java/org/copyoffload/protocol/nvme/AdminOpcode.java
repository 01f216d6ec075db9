package org.copyoffload.protocol.nvme;

import java.util.Optional;

/** Admin command opcodes (NVMe Base 2.1, Figure 84) that this project sends or serves. */
public enum AdminOpcode {
    GET_LOG_PAGE(0x02),
    IDENTIFY(0x06),
    ABORT(0x08),
    SET_FEATURES(0x09),
    GET_FEATURES(0x0A),
    ASYNCHRONOUS_EVENT_REQUEST(0x0C),
    KEEP_ALIVE(0x18);

    private static final AdminOpcode[] BY_CODE = new AdminOpcode[256];

    static {
        for (AdminOpcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    AdminOpcode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Unknown opcodes are not an error of the decoder: the controller answers them with Invalid Command Opcode. */
    public static Optional<AdminOpcode> lookup(int code) {
        return code >= 0 && code < 256 ? Optional.ofNullable(BY_CODE[code]) : Optional.empty();
    }
}
