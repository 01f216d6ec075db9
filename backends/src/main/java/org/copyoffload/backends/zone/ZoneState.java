package org.copyoffload.backends.zone;

/** The zone states of the NVMe Zoned Namespace Command Set, with the Zone State codes of a Report Zones descriptor. */
public enum ZoneState {
    EMPTY(0x1),
    IMPLICITLY_OPENED(0x2),
    EXPLICITLY_OPENED(0x3),
    CLOSED(0x4),
    READ_ONLY(0xD),
    FULL(0xE),
    OFFLINE(0xF);

    private final int code;

    ZoneState(int code) {
        this.code = code;
    }

    /** The ZS code (bits 7:4 of the Zone State byte of a Zone Descriptor hold it). */
    public int code() {
        return code;
    }

    /** Implicitly or explicitly opened: holds an open and an active resource. */
    public boolean isOpen() {
        return this == IMPLICITLY_OPENED || this == EXPLICITLY_OPENED;
    }

    /** Opened or closed: holds an active resource. */
    public boolean isActive() {
        return isOpen() || this == CLOSED;
    }

    /** The state with that ZS code. */
    public static ZoneState fromCode(int code) {
        for (ZoneState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("no zone state has code 0x" + Integer.toHexString(code));
    }
}
