package org.copyoffload.protocol.iscsi.login;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The initiator's side of the security negotiation stage (RFC 7143, 6.3, 12.1.3), the counterpart of
 * {@link SecurityNegotiation}: AuthMethod None without a credential; with one, AuthMethod CHAP, CHAP_A MD5, the
 * response to the target's challenge and, when a target credential is given (mutual CHAP), a challenge of its own
 * whose answer it checks. {@link #first()} gives the keys of the first Login Request; {@link #accept} reads each
 * Login Response and gives the keys of the next request; {@link #complete()} says when the initiator may leave the
 * stage.
 *
 * <p>Not thread-safe: it belongs to one connection's login.
 */
public final class ChapInitiator {
    private static final String AUTH_METHOD = "AuthMethod";
    private static final String CHAP = "CHAP";
    private static final String NONE = "None";

    private enum State { START, METHOD_SENT, ALGORITHM_SENT, RESPONSE_SENT, DONE }

    private final ChapCredential initiator;
    private final ChapCredential target;
    private final RandomGenerator random;
    private State state = State.START;
    private int mutualIdentifier;
    private byte[] mutualChallenge;
    private byte[] targetChallenge;

    /**
     * @param initiator the name and secret to answer the target's challenge with, or null for AuthMethod None
     * @param target the name and secret the target must answer the initiator's challenge with (mutual CHAP), or
     *     null for one-way CHAP; needs {@code initiator}
     * @param random where the mutual challenge comes from; a {@link java.security.SecureRandom} outside tests
     */
    public ChapInitiator(ChapCredential initiator, ChapCredential target, RandomGenerator random) {
        if (target != null && initiator == null) {
            throw new IllegalArgumentException("mutual CHAP needs the initiator's own credential too (RFC 7143, 12.1.3)");
        }
        if (target != null && MessageDigest.isEqual(initiator.secretBytes(), target.secretBytes())) {
            throw new IllegalArgumentException("the initiator and target CHAP secrets are the same; RFC 7143, 12.1.3"
                    + " requires different ones");
        }
        this.initiator = initiator;
        this.target = target;
        this.random = random;
    }

    /** The security keys of the first Login Request: AuthMethod=CHAP with a credential, AuthMethod=None without. */
    public List<TextKey> first() {
        if (state != State.START) {
            throw new IllegalStateException("first() at " + state);
        }
        state = State.METHOD_SENT;
        return List.of(new TextKey(AUTH_METHOD, initiator == null ? NONE : CHAP));
    }

    /** Whether the security stage is over for the initiator: None agreed, or CHAP done (both ways when mutual). */
    public boolean complete() {
        return state == State.DONE;
    }

    /**
     * Whether the request just built may ask to leave the security stage (T=1): the initiator has said all it
     * must (AuthMethod=None, or its CHAP response), and only the target's answer is still to come.
     */
    public boolean mayTransit() {
        return state == State.DONE || state == State.RESPONSE_SENT || (state == State.METHOD_SENT && initiator == null);
    }

    /**
     * Reads the security keys of one Login Response and returns those of the next Login Request (empty when the
     * initiator has nothing more to say). Keys that are not security keys are left to the caller.
     *
     * @throws LoginException AUTHENTICATION_FAILURE when the target's answer does not authenticate it or breaks
     *     the CHAP sequence (another method than offered, another algorithm than MD5, a missing or malformed
     *     value, a wrong mutual response or user name)
     */
    public List<TextKey> accept(List<TextKey> keys) throws LoginException {
        String method = TextKeys.find(keys, AUTH_METHOD).orElse(null);
        return switch (state) {
            case START -> throw new IllegalStateException("accept() before first()");
            case METHOD_SENT -> {
                String offered = initiator == null ? NONE : CHAP;
                if (method == null) {
                    yield List.of(); // the target has not answered yet (a continued response)
                }
                if (!method.equals(offered)) {
                    throw failure(AUTH_METHOD + "=" + method + " answers an offer of " + offered);
                }
                if (initiator == null) {
                    state = State.DONE;
                    yield List.of();
                }
                state = State.ALGORITHM_SENT;
                yield List.of(new TextKey("CHAP_A", Integer.toString(SecurityNegotiation.CHAP_MD5)));
            }
            case ALGORITHM_SENT -> challenged(keys);
            case RESPONSE_SENT -> mutualAnswer(keys);
            case DONE -> List.of();
        };
    }

    /** CHAP_A, CHAP_I and CHAP_C from the target: answer with CHAP_N and CHAP_R, and challenge it when mutual. */
    private List<TextKey> challenged(List<TextKey> keys) throws LoginException {
        String algorithm = required(keys, "CHAP_A");
        if (OperationalNegotiation.number(algorithm, SecurityNegotiation.CHAP_MD5, SecurityNegotiation.CHAP_MD5) < 0) {
            throw failure("CHAP_A=" + algorithm + " was not offered: the initiator offers MD5 ("
                    + SecurityNegotiation.CHAP_MD5 + ") only");
        }
        long identifier = OperationalNegotiation.number(required(keys, "CHAP_I"), 0, 255);
        if (identifier < 0) {
            throw failure("CHAP_I=" + TextKeys.find(keys, "CHAP_I").orElse("") + " is not an identifier from 0 to 255"
                    + " (RFC 1994, 4.1)");
        }
        targetChallenge = binary(keys, "CHAP_C");
        List<TextKey> next = new ArrayList<>();
        next.add(new TextKey("CHAP_N", initiator.user()));
        next.add(new TextKey("CHAP_R", BinaryValues.encodeHex(
                SecurityNegotiation.chapMd5Response((int) identifier, initiator.secretBytes(), targetChallenge))));
        if (target == null) {
            state = State.DONE;
            return next;
        }
        mutualIdentifier = random.nextInt(256);
        mutualChallenge = new byte[SecurityNegotiation.CHALLENGE_BYTES];
        random.nextBytes(mutualChallenge);
        if (MessageDigest.isEqual(mutualChallenge, targetChallenge)) {
            // 12.1.3: never the challenge the target sent, which would let it reflect our own answer back.
            mutualChallenge[0] ^= 1;
        }
        next.add(new TextKey("CHAP_I", Integer.toString(mutualIdentifier)));
        next.add(new TextKey("CHAP_C", BinaryValues.encodeHex(mutualChallenge)));
        state = State.RESPONSE_SENT;
        return next;
    }

    /** CHAP_N and CHAP_R of the target, answering our challenge with the target credential. */
    private List<TextKey> mutualAnswer(List<TextKey> keys) throws LoginException {
        String user = required(keys, "CHAP_N");
        if (!user.equals(target.user())) {
            throw failure("CHAP_N=" + user + " is not the target's CHAP user " + target.user());
        }
        byte[] response = binary(keys, "CHAP_R");
        byte[] wanted = SecurityNegotiation.chapMd5Response(mutualIdentifier, target.secretBytes(), mutualChallenge);
        if (!MessageDigest.isEqual(response, wanted)) {
            throw failure("CHAP_R of the target does not match its secret: the target is not who it claims to be");
        }
        state = State.DONE;
        return List.of();
    }

    private static String required(List<TextKey> keys, String name) throws LoginException {
        return TextKeys.find(keys, name).orElseThrow(() -> failure("the target did not send " + name
                + " (RFC 7143, 12.1.3)"));
    }

    private static byte[] binary(List<TextKey> keys, String name) throws LoginException {
        String value = required(keys, name);
        try {
            byte[] bytes = BinaryValues.decode(name, value);
            if (bytes.length > SecurityNegotiation.MAX_CHAP_BINARY_BYTES) {
                throw failure(name + " is " + bytes.length + " bytes, more than "
                        + SecurityNegotiation.MAX_CHAP_BINARY_BYTES + " (RFC 7143, 12.1.3)");
            }
            return bytes;
        } catch (IscsiTextException e) {
            throw failure(e.getMessage());
        }
    }

    private static LoginException failure(String message) {
        return new LoginException(LoginStatus.AUTHENTICATION_FAILURE, message);
    }
}
