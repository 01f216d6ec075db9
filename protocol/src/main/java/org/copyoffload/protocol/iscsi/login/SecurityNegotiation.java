package org.copyoffload.protocol.iscsi.login;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The target's side of the security negotiation stage (CSG=0, RFC 7143, 6.3, 12): AuthMethod None or CHAP,
 * and CHAP (RFC 7143, 12.1.3; RFC 1994) with MD5, SHA-1, SHA-256 or SHA3-256 ({@link ChapAlgorithm}: the first
 * of these the initiator lists), one-way or mutual; shown with MD5:
 *
 * <pre>
 * I-&gt;T AuthMethod=CHAP,None          T-&gt;I AuthMethod=CHAP
 * I-&gt;T CHAP_A=5                      T-&gt;I CHAP_A=5 CHAP_I=&lt;id&gt; CHAP_C=&lt;challenge&gt;
 * I-&gt;T CHAP_N=&lt;user&gt; CHAP_R=&lt;MD5(id || secret || challenge)&gt;
 *      [CHAP_I=&lt;id'&gt; CHAP_C=&lt;challenge'&gt;]  T-&gt;I [CHAP_N=&lt;target user&gt; CHAP_R=&lt;MD5(id' || mutual secret || challenge')&gt;]
 * </pre>
 *
 * <p>With {@link ChapSecrets} the target requires CHAP; without, it requires nothing and accepts only
 * AuthMethod None. The declarations allowed in any stage (InitiatorName, InitiatorAlias, TargetName,
 * SessionType) are not answered here: {@link OperationalNegotiation#recordDeclarations} keeps them. Every
 * failure to authenticate is a {@link LoginException} with AUTHENTICATION_FAILURE, which the target answers
 * with a Login reject (RFC 7143, 12.1.3, 11.13.5).
 *
 * <p>Not thread-safe: it belongs to one connection's login.
 */
public final class SecurityNegotiation {
    /** CHAP_A value of MD5 (RFC 7143, 12.1.3; RFC 1994), the only algorithm RFC 7143 requires. */
    public static final int CHAP_MD5 = 5;
    /** Bytes in a challenge with MD5: the MD5 digest length, as Linux LIO sends. */
    public static final int CHALLENGE_BYTES = 16;
    /** RFC 7143, 12.1.3: the binary values of CHAP_C and CHAP_R are at most 1024 bytes. */
    public static final int MAX_CHAP_BINARY_BYTES = 1024;

    private static final String AUTH_METHOD = "AuthMethod";
    private static final String CHAP = "CHAP";
    private static final String NONE = "None";
    private static final String CHAP_A = "CHAP_A";
    private static final String CHAP_I = "CHAP_I";
    private static final String CHAP_C = "CHAP_C";
    private static final String CHAP_N = "CHAP_N";
    private static final String CHAP_R = "CHAP_R";

    private enum State {
        /** No AuthMethod agreed yet. */
        START,
        /** AuthMethod=None agreed: nothing more to do. */
        NONE_AGREED,
        /** AuthMethod=CHAP agreed; waiting for CHAP_A. */
        CHAP_AGREED,
        /** CHAP_A, CHAP_I and CHAP_C sent; waiting for CHAP_N and CHAP_R. */
        CHALLENGED,
        /** The initiator proved its secret (and, if it asked, the target answered its challenge). */
        AUTHENTICATED
    }

    private final ChapSecrets secrets;
    private final RandomGenerator random;
    private final Set<String> received = new HashSet<>();
    private State state = State.START;
    private int identifier;
    private byte[] challenge;
    private ChapAlgorithm algorithm;

    /**
     * @param secrets the CHAP credentials the initiator must use, or null when the target requires no
     *     authentication
     * @param random the source of CHAP identifiers and challenges; a {@link java.security.SecureRandom} in
     *     production, since a guessable challenge lets a recorded response be replayed (RFC 1994, 2.3)
     */
    public SecurityNegotiation(ChapSecrets secrets, RandomGenerator random) {
        this.secrets = secrets;
        this.random = random;
    }

    /**
     * Answers the keys of one Login Request in the security negotiation stage.
     *
     * @throws LoginException AUTHENTICATION_FAILURE when the initiator cannot be authenticated: no acceptable
     *     AuthMethod or CHAP algorithm, a wrong user name or response, a malformed or missing CHAP value, a
     *     request for mutual CHAP without a target credential, or a reflected challenge; INITIATOR_ERROR for a
     *     key sent twice or a CHAP key out of sequence
     */
    public List<TextKey> respond(List<TextKey> offered) throws LoginException {
        List<TextKey> answers = new ArrayList<>();
        String user = null;
        String response = null;
        String mutualId = null;
        String mutualChallenge = null;
        for (TextKey key : offered) {
            if (!received.add(key.name())) {
                throw new LoginException(LoginStatus.INITIATOR_ERROR,
                        "key " + key.name() + " sent twice in the security negotiation (second time: " + key + ")");
            }
            switch (key.name()) {
                case AUTH_METHOD -> answers.add(authMethod(key));
                case CHAP_A -> answers.addAll(chapAlgorithm(key));
                case CHAP_N -> user = chapValue(key);
                case CHAP_R -> response = chapValue(key);
                case CHAP_I -> mutualId = chapValue(key);
                case CHAP_C -> mutualChallenge = chapValue(key);
                case "InitiatorName", "InitiatorAlias", "TargetName", SessionType.KEY -> {
                    // Declarations allowed in any stage (RFC 7143, 13.4, 13.5, 13.7, 13.21); no answer.
                }
                case "HeaderDigest", "DataDigest", "MaxConnections", "SendTargets", "TargetAlias", "TargetAddress",
                        "TargetPortalGroupTag", "InitialR2T", "ImmediateData", "MaxRecvDataSegmentLength",
                        "MaxBurstLength", "FirstBurstLength", "DefaultTime2Wait", "DefaultTime2Retain",
                        "MaxOutstandingR2T", "DataPDUInOrder", "DataSequenceInOrder", "ErrorRecoveryLevel",
                        "TaskReporting", "iSCSIProtocolLevel", "IFMarker", "OFMarker", "IFMarkInt", "OFMarkInt" ->
                    // Operational keys are negotiated in the operational stage (RFC 7143, 6.3, 13); understood but
                    // not admissible here.
                    answers.add(new TextKey(key.name(), OperationalNegotiation.REJECT));
                default -> answers.add(new TextKey(key.name(), OperationalNegotiation.NOT_UNDERSTOOD));
            }
        }
        if (user != null || response != null || mutualId != null || mutualChallenge != null) {
            answers.addAll(verify(user, response, mutualId, mutualChallenge));
        }
        return List.copyOf(answers);
    }

    /**
     * Whether the initiator may leave the security stage: CHAP succeeded, AuthMethod=None was agreed, or no
     * authentication is required and none was started.
     */
    public boolean complete() {
        return switch (state) {
            case AUTHENTICATED, NONE_AGREED -> true;
            case START -> secrets == null;
            case CHAP_AGREED, CHALLENGED -> false;
        };
    }

    /**
     * The CHAP response to a challenge with MD5 (RFC 1994, 4.1): MD5 of the identifier octet, the secret and
     * the challenge.
     */
    public static byte[] chapMd5Response(int identifier, byte[] secret, byte[] challenge) {
        return ChapAlgorithm.MD5.response(identifier, secret, challenge);
    }

    /** The algorithm CHAP_A agreed on, once it has been. */
    public Optional<ChapAlgorithm> algorithm() {
        return Optional.ofNullable(algorithm);
    }

    /** AuthMethod (RFC 7143, 12.1): the first method in the initiator's list that the target accepts. */
    private TextKey authMethod(TextKey key) throws LoginException {
        if (state != State.START) {
            throw outOfSequence(key);
        }
        String accepted = secrets == null ? NONE : CHAP;
        boolean found = false;
        for (String method : key.value().split(",", -1)) {
            if (method.isEmpty()) {
                throw new LoginException(LoginStatus.INITIATOR_ERROR,
                        key + " is not a list of values (RFC 7143, 6.1)");
            }
            found |= method.equals(accepted);
        }
        if (!found) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, secrets == null
                    ? key + ": this initiator has no CHAP credential on the target, which accepts only None"
                    : key + ": the target requires CHAP for this initiator");
        }
        state = secrets == null ? State.NONE_AGREED : State.CHAP_AGREED;
        return new TextKey(AUTH_METHOD, accepted);
    }

    /**
     * CHAP_A (RFC 7143, 12.1.3): the first algorithm of the initiator's list that the target knows, the list being
     * "in order of preference" and a list negotiation's answer the first value the responder supports (6.2.1), as
     * LIO answers. open-iscsi lists its node.session.auth.chap_algs strongest first; libiscsi's iSCSICHAP.Simple
     * offers 5,6,7,8 and can answer only MD5, so a target that picked the strongest would fail it. Then the
     * target's identifier and a challenge as long as that algorithm's digest (as LIO sends).
     */
    private List<TextKey> chapAlgorithm(TextKey key) throws LoginException {
        if (state != State.CHAP_AGREED) {
            throw outOfSequence(key);
        }
        ChapAlgorithm chosen = null;
        for (String offered : key.value().split(",", -1)) {
            chosen = ChapAlgorithm.fromCode(OperationalNegotiation.number(offered, 0, 255)).orElse(null);
            if (chosen != null) {
                break;
            }
        }
        if (chosen == null) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, key + ": the target supports CHAP with MD5 (5),"
                    + " SHA-1 (6), SHA-256 (7) and SHA3-256 (8) only");
        }
        algorithm = chosen;
        identifier = random.nextInt(256);
        challenge = new byte[chosen.digestLength()];
        random.nextBytes(challenge);
        state = State.CHALLENGED;
        return List.of(new TextKey(CHAP_A, Integer.toString(chosen.code())),
                new TextKey(CHAP_I, Integer.toString(identifier)),
                new TextKey(CHAP_C, BinaryValues.encodeHex(challenge)));
    }

    private String chapValue(TextKey key) throws LoginException {
        if (state != State.CHALLENGED) {
            throw outOfSequence(key);
        }
        return key.value();
    }

    /**
     * Checks CHAP_N and CHAP_R against the initiator credential, then answers the initiator's challenge if it
     * sent one (RFC 7143, 12.1.3).
     */
    private List<TextKey> verify(String user, String response, String mutualId, String mutualChallenge)
            throws LoginException {
        if (user == null || response == null) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "CHAP needs both CHAP_N and CHAP_R; got CHAP_N=" + user + (response == null ? ", no CHAP_R"
                            : ", a CHAP_R"));
        }
        ChapCredential expected = secrets.initiator();
        if (!user.equals(expected.user())) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "CHAP_N=" + user + " is not the CHAP user configured for this initiator");
        }
        byte[] received = binary(CHAP_R, response);
        // The messages below name neither CHAP_R nor the challenge: with both, whoever reads the log could try
        // secrets offline.
        byte[] wanted = algorithm.response(identifier, expected.secretBytes(), challenge);
        if (!MessageDigest.isEqual(received, wanted)) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "CHAP_R of user " + user + " does not match the secret");
        }
        // RFC 7143, 12.1.3 also fails a response equal to the one the receiver would compute with its own secret
        // (the same secret used both ways); ChapSecrets refuses equal secrets, so a response that matched the
        // initiator secret above cannot match the target's.
        List<TextKey> answers = List.of();
        if (mutualId != null || mutualChallenge != null) {
            answers = mutual(mutualId, mutualChallenge);
        }
        state = State.AUTHENTICATED;
        return answers;
    }

    /** The initiator authenticates the target: answer its CHAP_I and CHAP_C with the mutual credential. */
    private List<TextKey> mutual(String id, String challengeText) throws LoginException {
        if (id == null || challengeText == null) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "mutual CHAP needs both CHAP_I and CHAP_C; got CHAP_I=" + id + ", CHAP_C=" + challengeText);
        }
        if (secrets.mutual() == null) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "the initiator asks for mutual CHAP, but the target has no credential to answer with");
        }
        long mutualIdentifier = OperationalNegotiation.number(id, 0, 255);
        if (mutualIdentifier < 0) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "CHAP_I=" + id + " is not an identifier from 0 to 255 (RFC 1994, 4.1)");
        }
        byte[] initiatorChallenge = binary(CHAP_C, challengeText);
        if (MessageDigest.isEqual(initiatorChallenge, challenge)) {
            // RFC 7143, 12.1.3: "Originators MUST NOT reuse the CHAP challenge sent by the responder for the other
            // direction of a bidirectional authentication. Responders MUST check for this condition and close the
            // iSCSI TCP connection if it occurs." Answering would hand out the response to our own challenge.
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "CHAP_C=" + challengeText + " is the target's own challenge sent back (reflection)");
        }
        ChapCredential target = secrets.mutual();
        byte[] answer = algorithm.response((int) mutualIdentifier, target.secretBytes(), initiatorChallenge);
        return List.of(new TextKey(CHAP_N, target.user()), new TextKey(CHAP_R, BinaryValues.encodeHex(answer)));
    }

    private static byte[] binary(String key, String value) throws LoginException {
        byte[] bytes;
        try {
            bytes = BinaryValues.decode(key, value);
        } catch (IscsiTextException e) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, e.getMessage());
        }
        if (bytes.length > MAX_CHAP_BINARY_BYTES) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, key + " is " + bytes.length
                    + " bytes, more than " + MAX_CHAP_BINARY_BYTES + " (RFC 7143, 12.1.3)");
        }
        return bytes;
    }

    private LoginException outOfSequence(TextKey key) {
        return new LoginException(LoginStatus.INITIATOR_ERROR, key + " is out of sequence: the security negotiation"
                + " is at " + state + " (RFC 7143, 12.1.3 gives the order AuthMethod, CHAP_A, CHAP_N and CHAP_R)");
    }
}
