package org.copyoffload.protocol.nvme.auth;

import java.util.Optional;

/**
 * Reason code explanations of AUTH_Failure1/AUTH_Failure2 (NVMe Base 2.1, 8.3.4.6, Figure "AUTH_Failure Reason Code
 * Explanations"); the reason code itself is always 01h, Authentication Failure.
 */
public enum AuthFailureReason {
    /** The response did not verify. */
    AUTHENTICATION_FAILED(0x01, "authentication failed"),
    /** The authentication protocol cannot be used. */
    AUTHENTICATION_PROTOCOL_NOT_USABLE(0x02, "authentication protocol not usable"),
    /** Secure channel concatenation was asked for and is not available, or the other way round. */
    SECURE_CHANNEL_CONCATENATION_MISMATCH(0x03, "secure channel concatenation mismatch"),
    HASH_FUNCTION_NOT_USABLE(0x04, "hash function not usable"),
    DH_GROUP_NOT_USABLE(0x05, "DH group not usable"),
    INCORRECT_PAYLOAD(0x06, "incorrect payload"),
    INCORRECT_PROTOCOL_MESSAGE(0x07, "incorrect protocol message");

    /** REASON CODE 01h: Authentication Failure (the only one defined). */
    public static final int REASON_CODE_AUTHENTICATION_FAILURE = 0x01;

    private final int code;
    private final String description;

    AuthFailureReason(int code, String description) {
        this.code = code;
        this.description = description;
    }

    public int code() {
        return code;
    }

    public String description() {
        return description;
    }

    public static Optional<AuthFailureReason> lookup(int code) {
        for (AuthFailureReason r : values()) {
            if (r.code == code) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
