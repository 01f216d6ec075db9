package org.copyoffload.protocol.nvme.auth;

import java.util.Locale;
import java.util.Optional;

/**
 * The hash functions of DH-HMAC-CHAP (NVMe Base 2.1, 8.3.4.5.1, the HMAC identifiers): the HMAC of the responses and,
 * in a {@code DHHC-1} secret, the hash of its transformation.
 */
public enum DhchapHash {
    SHA_256(0x01, 32, "SHA-256", "HmacSHA256"),
    SHA_384(0x02, 48, "SHA-384", "HmacSHA384"),
    SHA_512(0x03, 64, "SHA-512", "HmacSHA512");

    private final int id;
    private final int length;
    private final String digestAlgorithm;
    private final String macAlgorithm;

    DhchapHash(int id, int length, String digestAlgorithm, String macAlgorithm) {
        this.id = id;
        this.length = length;
        this.digestAlgorithm = digestAlgorithm;
        this.macAlgorithm = macAlgorithm;
    }

    public int id() {
        return id;
    }

    /** Output length in bytes: HL in the messages. */
    public int length() {
        return length;
    }

    public String digestAlgorithm() {
        return digestAlgorithm;
    }

    public String macAlgorithm() {
        return macAlgorithm;
    }

    /** The configuration name: sha256, sha384, sha512. */
    public String configName() {
        return name().replace("_", "").toLowerCase(Locale.ROOT);
    }

    public static Optional<DhchapHash> lookup(int id) {
        for (DhchapHash h : values()) {
            if (h.id == id) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    /** The hash whose output is {@code length} bytes, if any. */
    public static Optional<DhchapHash> ofLength(int length) {
        for (DhchapHash h : values()) {
            if (h.length == length) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    /** By configuration name (sha256, sha384, sha512; hmac(sha256) as Linux spells it is accepted too). */
    public static DhchapHash parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace("hmac(", "").replace(")", "").replace("-", "");
        for (DhchapHash h : values()) {
            if (h.configName().equals(n)) {
                return h;
            }
        }
        throw new IllegalArgumentException("'" + name + "' is not a DH-HMAC-CHAP hash (sha256, sha384, sha512)");
    }
}
