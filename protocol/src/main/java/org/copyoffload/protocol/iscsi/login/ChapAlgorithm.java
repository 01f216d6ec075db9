package org.copyoffload.protocol.iscsi.login;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The CHAP_A algorithms (RFC 7143, 12.1.3; IANA "PPP Authentication Algorithms"; RFC 1994 for MD5, the extended
 * values that Linux LIO and open-iscsi 2.1.2 and later negotiate): the response is the digest of the identifier
 * octet, the secret and the challenge, with the same construction for every hash. Declared weakest first, so a
 * later constant is a stronger one.
 */
public enum ChapAlgorithm {
    /** 5: MD5 (RFC 1994), the only one RFC 7143 requires. */
    MD5(5, "MD5", 16),
    /** 6: SHA-1. */
    SHA1(6, "SHA-1", 20),
    /** 7: SHA-256. */
    SHA256(7, "SHA-256", 32),
    /** 8: SHA3-256. */
    SHA3_256(8, "SHA3-256", 32);

    private final int code;
    private final String jcaName;
    private final int digestLength;

    ChapAlgorithm(int code, String jcaName, int digestLength) {
        this.code = code;
        this.jcaName = jcaName;
        this.digestLength = digestLength;
    }

    /** The CHAP_A value. */
    public int code() {
        return code;
    }

    /** Bytes of a response; the target's challenges have the same length, as LIO's do. */
    public int digestLength() {
        return digestLength;
    }

    /** The algorithm with this CHAP_A value, if it is one of these. */
    public static Optional<ChapAlgorithm> fromCode(long code) {
        for (ChapAlgorithm a : values()) {
            if (a.code == code) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** The response to a challenge (RFC 1994, 4.1): the digest of the identifier octet, the secret and the challenge. */
    public byte[] response(int identifier, byte[] secret, byte[] challenge) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java 25 platform provides " + jcaName, e);
        }
        digest.update((byte) identifier);
        digest.update(secret);
        digest.update(challenge);
        return digest.digest();
    }
}
