package org.copyoffload.initiator.iscsi;

/**
 * A session's connection failed: it could not be set up, was lost, broke the protocol (this initiator then closes
 * it), or the target rejected one of its PDUs (RFC 7143, 11.17). Every task pending on the connection fails with
 * it, except after a Reject, which fails only the task whose PDU was rejected.
 */
public class IscsiTransportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public IscsiTransportException(String message) {
        super(message);
    }

    public IscsiTransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
