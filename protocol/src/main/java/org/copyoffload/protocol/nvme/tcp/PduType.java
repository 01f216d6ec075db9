package org.copyoffload.protocol.nvme.tcp;

/**
 * NVMe/TCP PDU types (NVMe/TCP Transport 1.1, 3.6.1, Figure 21) with their fixed header lengths and
 * which side sends them.
 */
public enum PduType {
    IC_REQ(0x00, 128, true, false, false),
    IC_RESP(0x01, 128, false, false, false),
    H2C_TERM_REQ(0x02, 24, true, false, true),
    C2H_TERM_REQ(0x03, 24, false, false, true),
    CAPSULE_CMD(0x04, 72, true, true, true),
    CAPSULE_RESP(0x05, 24, false, true, false),
    H2C_DATA(0x06, 24, true, true, true),
    C2H_DATA(0x07, 24, false, true, true),
    R2T(0x09, 24, false, true, false);

    private static final PduType[] BY_CODE = new PduType[16];

    static {
        for (PduType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final int headerLength;
    private final boolean hostToController;
    private final boolean digestable;
    private final boolean mayCarryData;

    PduType(int code, int headerLength, boolean hostToController, boolean digestable, boolean mayCarryData) {
        this.code = code;
        this.headerLength = headerLength;
        this.hostToController = hostToController;
        this.digestable = digestable;
        this.mayCarryData = mayCarryData;
    }

    public int code() {
        return code;
    }

    /** HLEN: the fixed length of the PDU header, without its digest. */
    public int headerLength() {
        return headerLength;
    }

    public boolean hostToController() {
        return hostToController;
    }

    /** Initialize Connection and Termination PDUs never carry digests (3.6.2.2). */
    public boolean digestable() {
        return digestable;
    }

    public boolean mayCarryData() {
        return mayCarryData;
    }

    /** Termination PDUs put their data right after the header, without PDO (3.6.2.4). */
    public boolean isTermination() {
        return this == H2C_TERM_REQ || this == C2H_TERM_REQ;
    }

    public static PduType lookup(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
