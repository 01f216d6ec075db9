package org.copyoffload.protocol.nvme.tls;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.zip.CRC32;

/**
 * A configured PSK (NVMe/TCP Transport 1.1, 3.6.1.2) as the PSK interchange format writes it,
 * {@code NVMeTLSkey-1:HH:<base64 of key || CRC-32 of key, little-endian>:}, the form {@code nvme gen-tls-key}
 * prints. {@code HH} says how the retained PSK comes from it: {@code 00} it is the retained PSK (32 or 48 bytes),
 * {@code 01} HKDF with SHA-256 (32 bytes), {@code 02} HKDF with SHA-384 (48 bytes).
 *
 * @param transform the hash that makes the retained PSK, null for none (HH 00)
 */
public record ConfiguredPsk(PskHash transform, byte[] key) {
    private static final String PREFIX = "NVMeTLSkey-1:";

    public ConfiguredPsk {
        if (key.length != 32 && key.length != 48) {
            throw new InvalidTlsKeyException("a configured PSK is 32 or 48 bytes, not " + key.length);
        }
        if (transform != null && transform.length() != key.length) {
            throw new InvalidTlsKeyException("a PSK of hash " + transform.code() + " is " + transform.length()
                    + " bytes, not " + key.length);
        }
        key = key.clone();
    }

    /** Parses the interchange format; a wrong prefix, hash, length or CRC is an {@link InvalidTlsKeyException}. */
    public static ConfiguredPsk parse(String text) {
        if (!text.startsWith(PREFIX)) {
            throw new InvalidTlsKeyException("a PSK in the interchange format starts with " + PREFIX);
        }
        if (text.length() < PREFIX.length() + 4 || text.charAt(PREFIX.length() + 2) != ':' || !text.endsWith(":")) {
            throw new InvalidTlsKeyException("a PSK in the interchange format is NVMeTLSkey-1:HH:BASE64:");
        }
        String hh = text.substring(PREFIX.length(), PREFIX.length() + 2);
        PskHash transform = switch (hh) {
            case "00" -> null;
            case "01" -> PskHash.SHA256;
            case "02" -> PskHash.SHA384;
            default -> throw new InvalidTlsKeyException("PSK hash " + printable(hh) + " is not 00, 01 or 02");
        };
        String encoded = text.substring(PREFIX.length() + 3, text.length() - 1);
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new InvalidTlsKeyException("the PSK is not valid base64");
        }
        int length = raw.length - 4;
        if (length != 32 && length != 48) {
            throw new InvalidTlsKeyException("the PSK decodes to " + raw.length + " bytes; 36 or 52 (key and CRC-32) expected");
        }
        byte[] key = java.util.Arrays.copyOf(raw, length);
        long stored = (raw[length] & 0xFFL) | (raw[length + 1] & 0xFFL) << 8 | (raw[length + 2] & 0xFFL) << 16
                | (raw[length + 3] & 0xFFL) << 24;
        if (stored != crc32(key)) {
            throw new InvalidTlsKeyException("the PSK's CRC-32 does not match its key (mistyped?)");
        }
        return new ConfiguredPsk(transform, key);
    }

    /** The interchange format of this key. */
    public String toInterchange() {
        byte[] raw = java.util.Arrays.copyOf(key, key.length + 4);
        long crc = crc32(key);
        for (int i = 0; i < 4; i++) {
            raw[key.length + i] = (byte) (crc >>> (8 * i));
        }
        return PREFIX + "0" + (transform == null ? 0 : transform.code()) + ":"
                + Base64.getEncoder().encodeToString(raw) + ":";
    }

    /** The hash the TLS PSK and the cipher suite use: the transform's, or for HH 00 the one of the key's length. */
    public PskHash hash() {
        return transform != null ? transform : PskHash.forKeyLength(key.length);
    }

    @Override
    public byte[] key() {
        return key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfiguredPsk p && p.transform == transform && MessageDigest.isEqual(p.key, key);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(key);
    }

    /** Without the key: a configuration may be logged. */
    @Override
    public String toString() {
        return "ConfiguredPsk[hash=0" + (transform == null ? 0 : transform.code()) + ", key=(hidden)]";
    }

    private static long crc32(byte[] key) {
        CRC32 crc = new CRC32();
        crc.update(key);
        return crc.getValue();
    }

    private static String printable(String s) {
        return new String(s.getBytes(StandardCharsets.US_ASCII), StandardCharsets.US_ASCII).replaceAll("[^ -~]", "?");
    }
}
