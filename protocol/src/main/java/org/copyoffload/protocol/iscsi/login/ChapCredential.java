package org.copyoffload.protocol.iscsi.login;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A CHAP name and its secret (RFC 7143, 12.1.3; RFC 1994). The secret is bytes because RFC 1994 does not
 * make it text; {@link #of} takes the usual configured string as UTF-8. {@link #toString()} never shows
 * the secret.
 */
public record ChapCredential(String user, byte[] secret) {
    public ChapCredential {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(secret, "secret");
        if (user.isEmpty()) {
            throw new IllegalArgumentException("CHAP user name is empty (RFC 7143, 12.1.3: CHAP_N carries it)");
        }
        if (secret.length == 0) {
            // RFC 1994, 2.2: "The CHAP algorithm requires that the length of the secret MUST be at least 1 octet."
            throw new IllegalArgumentException("CHAP secret of user " + user + " is empty (RFC 1994, 2.2)");
        }
        secret = secret.clone();
    }

    public static ChapCredential of(String user, String secret) {
        return new ChapCredential(user, secret.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    /** Package-private access without a copy, for computing responses. */
    byte[] secretBytes() {
        return secret;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChapCredential other && user.equals(other.user) && Arrays.equals(secret, other.secret);
    }

    @Override
    public int hashCode() {
        return 31 * user.hashCode() + Arrays.hashCode(secret);
    }

    @Override
    public String toString() {
        return "ChapCredential[user=" + user + ", secret=(" + secret.length + " bytes)]";
    }
}
