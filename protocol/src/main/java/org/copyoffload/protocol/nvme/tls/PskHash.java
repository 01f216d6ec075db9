package org.copyoffload.protocol.nvme.tls;

import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.PRFAlgorithm;

/**
 * The hash of an NVMe/TCP PSK (NVMe/TCP Transport 1.1, 3.6.1.3): its code in the PSK identity and the interchange
 * format ({@code 01} SHA-256, {@code 02} SHA-384), the key length it goes with, and the TLS 1.3 cipher suite whose
 * hash it is (a PSK can only be used with a suite of the same hash, RFC 8446, 4.2.11).
 */
public enum PskHash {
    SHA256(1, 32, CipherSuite.TLS_AES_128_GCM_SHA256, PRFAlgorithm.tls13_hkdf_sha256),
    SHA384(2, 48, CipherSuite.TLS_AES_256_GCM_SHA384, PRFAlgorithm.tls13_hkdf_sha384);

    private final int code;
    private final int length;
    private final int cipherSuite;
    private final int prfAlgorithm;

    PskHash(int code, int length, int cipherSuite, int prfAlgorithm) {
        this.code = code;
        this.length = length;
        this.cipherSuite = cipherSuite;
        this.prfAlgorithm = prfAlgorithm;
    }

    public int code() {
        return code;
    }

    /** Bytes of the hash's output, and of a PSK of this hash. */
    public int length() {
        return length;
    }

    public int cipherSuite() {
        return cipherSuite;
    }

    /** Bouncy Castle's {@link PRFAlgorithm} code for an external PSK of this hash. */
    public int prfAlgorithm() {
        return prfAlgorithm;
    }

    public Digest newDigest() {
        return this == SHA256 ? new SHA256Digest() : new SHA384Digest();
    }

    /** The IANA name of a TLS 1.3 suite of NVMe/TCP, or its code in hex. */
    public static String suiteName(int cipherSuite) {
        return switch (cipherSuite) {
            case CipherSuite.TLS_AES_128_GCM_SHA256 -> "TLS_AES_128_GCM_SHA256";
            case CipherSuite.TLS_AES_256_GCM_SHA384 -> "TLS_AES_256_GCM_SHA384";
            default -> String.format("0x%04X", cipherSuite);
        };
    }

    public static PskHash fromCode(int code) {
        for (PskHash h : values()) {
            if (h.code == code) {
                return h;
            }
        }
        throw new IllegalArgumentException("PSK hash " + code + " is neither 1 (SHA-256) nor 2 (SHA-384)");
    }

    /** The hash a key of {@code length} bytes goes with when nothing else says (32: SHA-256, 48: SHA-384). */
    public static PskHash forKeyLength(int length) {
        for (PskHash h : values()) {
            if (h.length == length) {
                return h;
            }
        }
        throw new IllegalArgumentException("a PSK is 32 or 48 bytes, not " + length);
    }
}
