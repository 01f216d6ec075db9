package org.copyoffload.protocol.nvme.tls;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The PSKs of NVMe/TCP TLS (NVMe/TCP Transport 1.1, 3.6.1.2 and 3.6.1.3), from a configured PSK to the TLS PSK a
 * handshake uses:
 * <ol>
 * <li>retained PSK = HKDF-Expand-Label(HKDF-Extract(0, configured PSK), "HostNQN", host NQN, length of the key), or
 *     the configured PSK itself when its interchange hash is 00;</li>
 * <li>version 1 identities only: PSK digest = base64(HMAC(retained PSK, "hostnqn subnqn NVMe-over-Fabrics"));</li>
 * <li>TLS PSK = HKDF-Expand-Label(HKDF-Extract(0, retained PSK), "nvme-tls-psk", context, hash length), the context
 *     being the identity (version 0) or "HH digest" (version 1).</li>
 * </ol>
 * HKDF-Expand-Label has two byte layouts in the field (see {@link LabelForm}); the host's nvme-cli decides which one
 * its keyring holds.
 */
public final class PskDerivation {
    private static final String HMAC_SEED = "NVMe-over-Fabrics";

    /** How HkdfLabel is laid out. */
    public enum LabelForm {
        /**
         * As libnvme up to 1.15 (nvme-cli up to 2.15, Debian trixie's 2.13) computes it, and so as the Linux host's
         * keyring holds it after {@code nvme gen-tls-key --insert}: the 16-bit length in little-endian byte order,
         * then "tls13 ", the label and the context with no length bytes.
         */
        LIBNVME,
        /** RFC 8446, 7.1: length big-endian, then label and context each with a one-byte length. */
        RFC8446
    }

    private PskDerivation() {
    }

    /** The retained PSK of {@code configured} for {@code hostNqn}. */
    public static byte[] retained(ConfiguredPsk configured, String hostNqn, LabelForm form) {
        byte[] key = configured.key();
        if (configured.transform() == null) {
            return key;
        }
        return hkdf(configured.transform(), key, expandLabel(form, key.length, "HostNQN", ascii(hostNqn)), key.length);
    }

    /** The base64 PSK digest of a version 1 identity. */
    public static String digest(PskHash hash, byte[] retained, String hostNqn, String subsystemNqn) {
        HMac mac = new HMac(hash.newDigest());
        mac.init(new KeyParameter(retained));
        byte[] text = ascii(hostNqn + " " + subsystemNqn + " " + HMAC_SEED);
        mac.update(text, 0, text.length);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return Base64.getEncoder().encodeToString(out);
    }

    /** The identity of a retained PSK of {@code version} 0 or 1 for this host and subsystem. */
    public static PskIdentity identity(ConfiguredPsk configured, String hostNqn, String subsystemNqn, int version,
                                       LabelForm form) {
        PskHash hash = configured.hash();
        String digest = version == 1 ? digest(hash, retained(configured, hostNqn, form), hostNqn, subsystemNqn) : null;
        return new PskIdentity(version, false, hash, hostNqn, subsystemNqn, digest);
    }

    /** The TLS PSK that goes with {@code identity}, from the retained PSK. */
    public static byte[] tlsPsk(byte[] retained, PskIdentity identity, LabelForm form) {
        PskHash hash = identity.hash();
        byte[] context = identity.version() == 0 ? identity.bytes()
                : ascii(String.format("%02d %s", hash.code(), identity.digest()));
        return hkdf(hash, retained, expandLabel(form, hash.length(), "nvme-tls-psk", context), hash.length());
    }

    /** The TLS PSK of a configured PSK for the identity of {@code version} (0 or 1). */
    public static byte[] tlsPsk(ConfiguredPsk configured, PskIdentity identity, LabelForm form) {
        return tlsPsk(retained(configured, identity.hostNqn(), form), identity, form);
    }

    private static byte[] expandLabel(LabelForm form, int length, String label, byte[] context) {
        ByteArrayOutputStream info = new ByteArrayOutputStream();
        byte[] fullLabel = ascii("tls13 " + label);
        if (form == LabelForm.LIBNVME) {
            info.write(length & 0xFF);
            info.write(length >>> 8);
            info.writeBytes(fullLabel);
            info.writeBytes(context);
        } else {
            if (context.length > 255) {
                throw new InvalidTlsKeyException("an HKDF-Expand-Label context is at most 255 bytes");
            }
            info.write(length >>> 8);
            info.write(length & 0xFF);
            info.write(fullLabel.length);
            info.writeBytes(fullLabel);
            info.write(context.length);
            info.writeBytes(context);
        }
        return info.toByteArray();
    }

    /** HKDF-Extract with a zero salt (RFC 5869, 2.2: no salt is a string of hash-length zeros), then HKDF-Expand. */
    private static byte[] hkdf(PskHash hash, byte[] ikm, byte[] info, int length) {
        HKDFBytesGenerator generator = new HKDFBytesGenerator(hash.newDigest());
        generator.init(new HKDFParameters(ikm, null, info));
        byte[] out = new byte[length];
        generator.generateBytes(out, 0, length);
        return out;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
