package org.copyoffload.protocol.iscsi.login;

import java.util.Objects;

/**
 * The login cannot go on: the target answers with a Login Response carrying {@link #status()} and closes
 * the connection (RFC 7143, 6.3, 7.4). During a Text negotiation in full feature phase there is no Login
 * Response; the caller treats it as a protocol error (a Reject PDU) or a failed negotiation whose partial
 * results are discarded (RFC 7143, 7.4).
 */
public final class LoginException extends Exception {
    private static final long serialVersionUID = 1L;

    private final LoginStatus status;

    public LoginException(LoginStatus status, String message) {
        super(message);
        this.status = Objects.requireNonNull(status, "status");
    }

    public LoginStatus status() {
        return status;
    }

    @Override
    public String toString() {
        return "LoginException[" + status + "]: " + getMessage();
    }
}
