package org.copyoffload.protocol.nvme.tcp;

/** Fatal Error Status of H2CTermReq/C2HTermReq (NVMe/TCP Transport 1.1, Figures 28 and 29). */
public enum FatalErrorStatus {
    INVALID_PDU_HEADER_FIELD(0x01),
    PDU_SEQUENCE_ERROR(0x02),
    HEADER_DIGEST_ERROR(0x03),
    DATA_TRANSFER_OUT_OF_RANGE(0x04),
    /** R2T Limit Exceeded for a host, Data Transfer Limit Exceeded for a controller: the same code. */
    DATA_TRANSFER_LIMIT_EXCEEDED(0x05),
    UNSUPPORTED_PARAMETER(0x06);

    private final int code;

    FatalErrorStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static FatalErrorStatus fromCode(int code) {
        for (FatalErrorStatus f : values()) {
            if (f.code == code) {
                return f;
            }
        }
        throw new org.copyoffload.protocol.nvme.ProtocolFieldException("FES", code, "not a fatal error status");
    }
}
