package org.copyoffload.initiator.iscsi;

import java.util.Optional;
import org.copyoffload.protocol.iscsi.login.LoginStatus;

/**
 * A login did not reach full feature phase: the target refused it with a Login Response status (RFC 7143,
 * 11.13.5: {@link #status()}), or the initiator gave up because the target's answers could not be accepted
 * (authentication of the target failed, a key answered against its result function; no status then).
 */
public final class IscsiLoginException extends IscsiTransportException {
    private static final long serialVersionUID = 1L;

    private final transient LoginStatus status;
    private final int statusClass;
    private final int statusDetail;

    /** The target's refusal. */
    public IscsiLoginException(String message, int statusClass, int statusDetail) {
        super(message + String.format(" (Status-Class %d, Status-Detail %d%s)", statusClass, statusDetail,
                LoginStatus.lookup(statusClass, statusDetail).map(s -> ": " + s.name()).orElse("")));
        this.status = LoginStatus.lookup(statusClass, statusDetail).orElse(null);
        this.statusClass = statusClass;
        this.statusDetail = statusDetail;
    }

    /** The initiator's own verdict on the target's answers. */
    public IscsiLoginException(String message, Throwable cause) {
        super(message, cause);
        this.status = null;
        this.statusClass = -1;
        this.statusDetail = -1;
    }

    /** The Login Response's status when the target refused the login; empty when the initiator gave up. */
    public Optional<LoginStatus> status() {
        return Optional.ofNullable(status);
    }

    /** Status-Class of the refusal, -1 when the initiator gave up. */
    public int statusClass() {
        return statusClass;
    }

    public int statusDetail() {
        return statusDetail;
    }
}
