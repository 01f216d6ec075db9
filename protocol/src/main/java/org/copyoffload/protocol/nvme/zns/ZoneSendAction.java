package org.copyoffload.protocol.nvme.zns;

import java.util.Optional;

/** Zone Send Action of Zone Management Send, CDW13 bits 7:0 (NVMe ZNS Command Set 1.1, Figure 39). */
public enum ZoneSendAction {
    CLOSE(0x01),
    FINISH(0x02),
    OPEN(0x03),
    RESET(0x04),
    OFFLINE(0x05),
    SET_ZONE_DESCRIPTOR_EXTENSION(0x10);

    private final int code;

    ZoneSendAction(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The action with this code; empty for a reserved code, which a target answers with Invalid Field. */
    public static Optional<ZoneSendAction> lookup(int code) {
        for (ZoneSendAction a : values()) {
            if (a.code == code) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
