package org.copyoffload.protocol.nvme.auth;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.zip.CRC32;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A DH-HMAC-CHAP secret in the representation nvme-cli prints and Linux reads (NVMe Base 2.1, 8.3.4.5.8, "Secret
 * representation"): {@code DHHC-1:xx:<base64 of the key followed by its CRC-32, little endian>:}, where {@code xx} names
 * the hash of the secret's transformation (00 none, 01 SHA-256, 02 SHA-384, 03 SHA-512). The key is 32, 48 or 64
 * bytes; with a transformation hash it is that hash's length. {@link #toString()} never shows the key.
 */
public final class DhchapSecret {
    public static final String PREFIX = "DHHC-1:";
    private static final byte[] TRANSFORM_SUFFIX = "NVMe-over-Fabrics".getBytes(StandardCharsets.US_ASCII);

    private final DhchapHash transformHash;
    private final byte[] key;

    private DhchapSecret(DhchapHash transformHash, byte[] key) {
        this.transformHash = transformHash;
        this.key = key;
    }

    /** A secret of a key with an optional transformation hash (null: none). */
    public static DhchapSecret of(DhchapHash transformHash, byte[] key) {
        if (DhchapHash.ofLength(key.length).isEmpty()) {
            throw new IllegalArgumentException("a DH-HMAC-CHAP key is 32, 48 or 64 bytes, not " + key.length);
        }
        if (transformHash != null && key.length != transformHash.length()) {
            throw new IllegalArgumentException("a key transformed with " + transformHash + " is " + transformHash.length()
                    + " bytes, not " + key.length);
        }
        return new DhchapSecret(transformHash, key.clone());
    }

    /** A new random key (as nvme-cli's gen-dhchap-key does): of the hash's length, or 32 bytes without one. */
    public static DhchapSecret generate(DhchapHash transformHash, SecureRandom random) {
        byte[] key = new byte[transformHash == null ? 32 : transformHash.length()];
        random.nextBytes(key);
        return new DhchapSecret(transformHash, key);
    }

    /**
     * Parses the representation; the message of the exception says what is wrong without quoting the secret.
     */
    public static DhchapSecret parse(String text) {
        String s = text.strip();
        if (!s.startsWith(PREFIX)) {
            throw new IllegalArgumentException("a DH-HMAC-CHAP secret starts with " + PREFIX);
        }
        String rest = s.substring(PREFIX.length());
        if (rest.length() < 4 || rest.charAt(2) != ':' || !Character.isDigit(rest.charAt(0)) || !Character.isDigit(rest.charAt(1))) {
            throw new IllegalArgumentException("a DH-HMAC-CHAP secret has two digits (the transformation hash) after "
                    + PREFIX);
        }
        int hashId = Integer.parseInt(rest.substring(0, 2));
        DhchapHash hash = null;
        if (hashId != 0) {
            hash = DhchapHash.lookup(hashId).orElseThrow(() -> new IllegalArgumentException(
                    "transformation hash " + String.format("%02d", hashId) + " is not 00, 01, 02 or 03"));
        }
        String encoded = rest.substring(3);
        if (!encoded.endsWith(":")) {
            throw new IllegalArgumentException("a DH-HMAC-CHAP secret ends with ':'");
        }
        encoded = encoded.substring(0, encoded.length() - 1);
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key of a DH-HMAC-CHAP secret is not base64");
        }
        int keyLength = decoded.length - 4;
        if (DhchapHash.ofLength(keyLength).isEmpty()) {
            Arrays.fill(decoded, (byte) 0);
            throw new IllegalArgumentException("the key of a DH-HMAC-CHAP secret is 32, 48 or 64 bytes (with its CRC-32: "
                    + "36, 52 or 68), not " + decoded.length);
        }
        byte[] key = Arrays.copyOf(decoded, keyLength);
        int crc = ByteBuffer.wrap(decoded, keyLength, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        Arrays.fill(decoded, (byte) 0);
        if (crc != crc32(key)) {
            throw new IllegalArgumentException("the CRC-32 of the DH-HMAC-CHAP secret's key does not match (a typo?)");
        }
        if (hash != null && keyLength != hash.length()) {
            throw new IllegalArgumentException("a key transformed with " + hash + " is " + hash.length() + " bytes, not "
                    + keyLength);
        }
        return new DhchapSecret(hash, key);
    }

    private static int crc32(byte[] key) {
        CRC32 crc = new CRC32();
        crc.update(key);
        return (int) crc.getValue();
    }

    /** The representation {@code DHHC-1:xx:...:}. */
    public String encode() {
        byte[] withCrc = Arrays.copyOf(key, key.length + 4);
        ByteBuffer.wrap(withCrc, key.length, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(crc32(key));
        String b64 = Base64.getEncoder().encodeToString(withCrc);
        Arrays.fill(withCrc, (byte) 0);
        return PREFIX + String.format("%02d", transformHash == null ? 0 : transformHash.id()) + ":" + b64 + ":";
    }

    public Optional<DhchapHash> transformHash() {
        return Optional.ofNullable(transformHash);
    }

    public int keyLength() {
        return key.length;
    }

    /**
     * The key the HMAC of the responses uses (8.3.4.5.8): the key itself without a transformation hash, otherwise
     * HMAC-hash(key, NQN || "NVMe-over-Fabrics"), with the host's NQN for a host secret and the subsystem's NQN for a
     * controller secret.
     */
    public byte[] transform(String nqn) {
        if (transformHash == null) {
            return key.clone();
        }
        try {
            Mac mac = Mac.getInstance(transformHash.macAlgorithm());
            mac.init(new SecretKeySpec(key, transformHash.macAlgorithm()));
            mac.update(nqn.getBytes(StandardCharsets.UTF_8));
            mac.update(TRANSFORM_SUFFIX);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(transformHash.macAlgorithm() + " is not available", e);
        }
    }

    /** Whether two secrets have the same key and transformation (constant time in the key). */
    public boolean sameAs(DhchapSecret other) {
        return other != null && other.transformHash == transformHash && java.security.MessageDigest.isEqual(key, other.key);
    }

    @Override
    public String toString() {
        return "DhchapSecret[transform=" + (transformHash == null ? "none" : transformHash.configName()) + ", "
                + key.length + " bytes]";
    }
}
