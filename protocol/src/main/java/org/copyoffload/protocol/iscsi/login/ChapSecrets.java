package org.copyoffload.protocol.iscsi.login;

import java.util.Arrays;
import java.util.Objects;

/**
 * The CHAP credentials of one initiator's login (RFC 7143, 12.1.3).
 *
 * @param initiator the name and secret the initiator must prove (CHAP_N, CHAP_R)
 * @param mutual the name and secret the target answers with when the initiator authenticates the target
 *     (mutual CHAP), or null when the target has none; an initiator that asks for mutual CHAP then fails
 */
public record ChapSecrets(ChapCredential initiator, ChapCredential mutual) {
    /**
     * RFC 7143, 12.1.3: a CHAP secret with fewer than 96 random bits (12 bytes) is only acceptable over IPsec
     * encryption. Not enforced here, since the configuration that knows about IPsec checks it.
     */
    public static final int MIN_SECRET_BYTES_WITHOUT_IPSEC = 12;

    public ChapSecrets {
        Objects.requireNonNull(initiator, "initiator");
        if (mutual != null && Arrays.equals(initiator.secretBytes(), mutual.secretBytes())) {
            // RFC 7143, 12.1.3: a secret used to authenticate initiators MUST NOT be configured to authenticate
            // targets, and the other way round; with one secret both ways a peer could reflect the challenge.
            throw new IllegalArgumentException("the mutual CHAP secret of " + mutual.user()
                    + " is the initiator secret of " + initiator.user() + "; RFC 7143, 12.1.3 requires different ones");
        }
    }

    /** One-way CHAP: the target authenticates the initiator only. */
    public static ChapSecrets oneWay(ChapCredential initiator) {
        return new ChapSecrets(initiator, null);
    }
}
