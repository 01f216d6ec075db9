package org.copyoffload.protocol.nvme.auth;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.agreement.DHBasicAgreement;
import org.bouncycastle.crypto.generators.DHKeyPairGenerator;
import org.bouncycastle.crypto.params.DHKeyGenerationParameters;
import org.bouncycastle.crypto.params.DHPublicKeyParameters;

/**
 * One side of the DH exchange of DH-HMAC-CHAP (NVMe Base 2.1, 8.3.4.5.2) in an RFC 7919 group, through Bouncy Castle:
 * a fresh key pair per transaction, the public value g^x mod p and the session key g^xy mod p both as big-endian byte
 * strings as long as the prime. The peer's value is checked (1 &lt; y &lt; p - 1 and in the prime-order subgroup)
 * before use.
 */
public final class DhKeyExchange {
    private final DhGroup group;
    private final AsymmetricCipherKeyPair keyPair;

    public DhKeyExchange(DhGroup group, SecureRandom random) {
        if (group == DhGroup.NULL) {
            throw new IllegalArgumentException("the NULL group has no exchange");
        }
        this.group = group;
        DHKeyPairGenerator generator = new DHKeyPairGenerator();
        generator.init(new DHKeyGenerationParameters(random, group.parameters()));
        this.keyPair = generator.generateKeyPair();
    }

    public DhGroup group() {
        return group;
    }

    /** g^x mod p, DHVLEN bytes. */
    public byte[] publicValue() {
        return fixedLength(((DHPublicKeyParameters) keyPair.getPublic()).getY());
    }

    /**
     * The session key from the peer's public value.
     *
     * @throws IllegalArgumentException the value has the wrong length or is not a valid public value of the group
     */
    public byte[] sessionKey(byte[] peerValue) {
        if (peerValue.length != group.valueLength()) {
            throw new IllegalArgumentException("a " + group.configName() + " value is " + group.valueLength()
                    + " bytes, not " + peerValue.length);
        }
        // DHPublicKeyParameters refuses values outside 2..p-2 and, with q known, outside the subgroup of order q.
        DHPublicKeyParameters peer = new DHPublicKeyParameters(new BigInteger(1, peerValue), group.parameters());
        DHBasicAgreement agreement = new DHBasicAgreement();
        agreement.init(keyPair.getPrivate());
        return fixedLength(agreement.calculateAgreement(peer));
    }

    private byte[] fixedLength(BigInteger v) {
        byte[] raw = v.toByteArray();
        int n = group.valueLength();
        if (raw.length == n) {
            return raw;
        }
        if (raw.length > n) {
            return Arrays.copyOfRange(raw, raw.length - n, raw.length); // a leading sign byte
        }
        byte[] out = new byte[n];
        System.arraycopy(raw, 0, out, n - raw.length, raw.length);
        return out;
    }
}
