package org.copyoffload.server.scsi;

/** Task attributes (SAM-5, 8.9) with the ATTR codes of the iSCSI SCSI Command PDU (RFC 7143, 11.3.1). */
public enum TaskAttribute {
    UNTAGGED(0), SIMPLE(1), ORDERED(2), HEAD_OF_QUEUE(3), ACA(4);

    private final int code;

    TaskAttribute(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The attribute for an ATTR field; codes 5-7 are reserved and read as SIMPLE, as RFC 7143 lets a target. */
    public static TaskAttribute fromCode(int code) {
        for (TaskAttribute a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        return SIMPLE;
    }
}
