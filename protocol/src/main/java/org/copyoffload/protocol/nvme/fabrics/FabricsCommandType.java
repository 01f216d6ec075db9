package org.copyoffload.protocol.nvme.fabrics;

import java.util.Optional;

/** Fabrics Command Types (NVMe over Fabrics 1.1, Figure 11), carried in byte 4 of opcode 7Fh. */
public enum FabricsCommandType {
    PROPERTY_SET(0x00),
    CONNECT(0x01),
    PROPERTY_GET(0x04),
    AUTHENTICATION_SEND(0x05),
    AUTHENTICATION_RECEIVE(0x06),
    DISCONNECT(0x08);

    private final int code;

    FabricsCommandType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<FabricsCommandType> lookup(int code) {
        for (FabricsCommandType t : values()) {
            if (t.code == code) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
