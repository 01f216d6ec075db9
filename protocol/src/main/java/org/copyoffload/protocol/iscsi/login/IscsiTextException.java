package org.copyoffload.protocol.iscsi.login;

/**
 * A Login or Text data segment, or one value in it, does not follow the text format of RFC 7143, 6.1;
 * the message names the offending pair or value. During login the target answers it with Login status
 * Initiator Error (RFC 7143, 11.13.5), in full feature phase with a Reject PDU (protocol error).
 */
public final class IscsiTextException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public IscsiTextException(String message) {
        super(message);
    }
}
