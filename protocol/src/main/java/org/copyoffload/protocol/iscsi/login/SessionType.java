package org.copyoffload.protocol.iscsi.login;

import java.util.List;
import java.util.Optional;

/** The SessionType key (RFC 7143, 13.21): a Discovery session may only do SendTargets; Normal is the default. */
public enum SessionType {
    NORMAL("Normal"),
    DISCOVERY("Discovery");

    public static final String KEY = "SessionType";

    private final String text;

    SessionType(String text) {
        this.text = text;
    }

    /** The value as it travels in the SessionType key. */
    public String text() {
        return text;
    }

    public static Optional<SessionType> parse(String value) {
        for (SessionType t : values()) {
            if (t.text.equals(value)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * The session type an initiator asks for in its first Login Request, which the target needs before it
     * can negotiate anything else: Normal when the key is absent (RFC 7143, 13.21: "Default is Normal").
     *
     * @throws LoginException SESSION_TYPE_NOT_SUPPORTED for a value other than Normal or Discovery
     */
    public static SessionType of(List<TextKey> firstRequest) throws LoginException {
        Optional<String> value = TextKeys.find(firstRequest, KEY);
        if (value.isEmpty()) {
            return NORMAL;
        }
        return parse(value.get()).orElseThrow(() -> new LoginException(LoginStatus.SESSION_TYPE_NOT_SUPPORTED,
                "SessionType=" + value.get() + " is neither Normal nor Discovery (RFC 7143, 13.21)"));
    }
}
