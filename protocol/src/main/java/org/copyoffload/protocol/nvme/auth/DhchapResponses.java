package org.copyoffload.protocol.nvme.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The values DH-HMAC-CHAP computes (NVMe Base 2.1, 8.3.4.5.5 and 8.3.4.5.8), as Linux computes them:
 * <ul>
 * <li>host response R1 = HMAC(Kh, C1 || le32(S1) || le16(T_ID) || SC_C || "HostHost" || NQNh || 00h || NQNc);</li>
 * <li>controller response R2 = HMAC(Kc, C2 || le32(S2) || le16(T_ID) || SC_C || "Controller" || NQNc || 00h || NQNh);</li>
 * <li>with a DH group, each challenge C is first augmented: Ca = HMAC(H(g^xy mod p), C).</li>
 * </ul>
 * Kh and Kc are the transformed secrets ({@link DhchapSecret#transform}); the hash is the negotiated one.
 */
public final class DhchapResponses {
    private static final byte[] HOST = "HostHost".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTROLLER = "Controller".getBytes(StandardCharsets.US_ASCII);

    private DhchapResponses() {
    }

    public static byte[] hostResponse(DhchapHash hash, byte[] hostKey, byte[] challenge, int seqnum, int tid, int scC,
                                      String hostNqn, String subsystemNqn) {
        return response(hash, hostKey, challenge, seqnum, tid, scC, HOST, hostNqn, subsystemNqn);
    }

    public static byte[] controllerResponse(DhchapHash hash, byte[] controllerKey, byte[] challenge, int seqnum, int tid,
                                            int scC, String subsystemNqn, String hostNqn) {
        return response(hash, controllerKey, challenge, seqnum, tid, scC, CONTROLLER, subsystemNqn, hostNqn);
    }

    /** Ca = HMAC(H(sessionKey), C), the challenge a DH exchange binds to the session key. */
    public static byte[] augmentedChallenge(DhchapHash hash, byte[] sessionKey, byte[] challenge) {
        try {
            byte[] hashedKey = MessageDigest.getInstance(hash.digestAlgorithm()).digest(sessionKey);
            Mac mac = mac(hash, hashedKey);
            return mac.doFinal(challenge);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hash + " is not available", e);
        }
    }

    private static byte[] response(DhchapHash hash, byte[] key, byte[] challenge, int seqnum, int tid, int scC,
                                   byte[] role, String firstNqn, String secondNqn) {
        try {
            Mac mac = mac(hash, key);
            mac.update(challenge);
            mac.update(new byte[] {(byte) seqnum, (byte) (seqnum >>> 8), (byte) (seqnum >>> 16), (byte) (seqnum >>> 24)});
            mac.update(new byte[] {(byte) tid, (byte) (tid >>> 8)});
            mac.update((byte) scC);
            mac.update(role);
            mac.update(firstNqn.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            mac.update(secondNqn.getBytes(StandardCharsets.UTF_8));
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hash + " is not available", e);
        }
    }

    private static Mac mac(DhchapHash hash, byte[] key) throws GeneralSecurityException {
        Mac mac = Mac.getInstance(hash.macAlgorithm());
        mac.init(new SecretKeySpec(key, hash.macAlgorithm()));
        return mac;
    }
}
