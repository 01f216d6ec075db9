package org.copyoffload.initiator.nvme;

import org.copyoffload.protocol.nvme.auth.AuthFailureReason;

/**
 * DH-HMAC-CHAP failed on a queue: the controller refused the host (AUTH_Failure1 with its reason code explanation),
 * or the host refused the controller (it sent AUTH_Failure2).
 */
public class DhchapFailureException extends NvmeTransportException {
    private final int explanation;
    private final boolean refusedByController;

    public DhchapFailureException(String message, int explanation, boolean refusedByController) {
        super(message);
        this.explanation = explanation;
        this.refusedByController = refusedByController;
    }

    /** The reason code explanation byte (NVMe Base 2.1, 8.3.4.6). */
    public int explanation() {
        return explanation;
    }

    public java.util.Optional<AuthFailureReason> reason() {
        return AuthFailureReason.lookup(explanation);
    }

    /** True when the controller sent AUTH_Failure1; false when this host refused the controller. */
    public boolean refusedByController() {
        return refusedByController;
    }
}
