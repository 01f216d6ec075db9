package org.copyoffload.protocol.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.protocol.iscsi.login.OperationalNegotiationTest.keys;

import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The security negotiation stage: AuthMethod and CHAP with MD5 (RFC 7143, 12.1.3; RFC 1994). The expected
 * responses were computed outside Java, e.g. {@code printf '\x01secretsecret\x00\x01...\x0f' | md5sum}.
 */
class SecurityNegotiationTest {

    private static final byte[] CHALLENGE = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
    /** MD5(0x01 || "secretsecret" || 00..0f). */
    private static final String RESPONSE_ID1 = "0x226dc576c33f04ff9c3a200ffe35f442";
    /** MD5(0x07 || "targetsecret1" || sixteen 0xaa). */
    private static final String MUTUAL_RESPONSE_ID7 = "0x94848fffe1e37115e0fcec1516f40d83";

    private static final ChapCredential INITIATOR = ChapCredential.of("iqn.1994-05.com.redhat:host", "secretsecret");
    private static final ChapCredential TARGET = ChapCredential.of("target-user", "targetsecret1");

    /** Hands out identifier 1 and challenge 00..0f, so the responses are the vectors above. */
    static RandomGenerator fixed() {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException("only nextInt(bound) and nextBytes are used");
            }

            @Override
            public int nextInt(int bound) {
                return 1;
            }

            @Override
            public void nextBytes(byte[] bytes) {
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) i; // 00 01 02 ...: CHALLENGE for MD5's 16 bytes
                }
            }
        };
    }

    private static SecurityNegotiation challenged(ChapSecrets secrets) throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(secrets, fixed());
        assertThat(s.respond(keys("AuthMethod=CHAP,None"))).isEqualTo(keys("AuthMethod=CHAP"));
        assertThat(s.respond(keys("CHAP_A=5")))
                .isEqualTo(keys("CHAP_A=5", "CHAP_I=1", "CHAP_C=0x000102030405060708090a0b0c0d0e0f"));
        assertThat(s.complete()).isFalse();
        return s;
    }

    private static void fails(LoginStatus status, String message, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(LoginException.class,
                e -> assertThat(e.status()).isEqualTo(status)).hasMessageContaining(message);
    }

    @Test
    void md5ResponseIsTheDigestOfIdentifierSecretAndChallenge() {
        assertThat(BinaryValues.encodeHex(SecurityNegotiation.chapMd5Response(1, "secretsecret".getBytes(), CHALLENGE)))
                .isEqualTo(RESPONSE_ID1);
        byte[] aa = new byte[16];
        java.util.Arrays.fill(aa, (byte) 0xaa);
        assertThat(BinaryValues.encodeHex(SecurityNegotiation.chapMd5Response(7, "targetsecret1".getBytes(), aa)))
                .isEqualTo(MUTUAL_RESPONSE_ID7);
        // MD5(0x00 || "initiatorsecret0" || ff fe fd fc): identifier 0 and a short challenge
        assertThat(BinaryValues.encodeHex(SecurityNegotiation.chapMd5Response(0, "initiatorsecret0".getBytes(),
                new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xfd, (byte) 0xfc})))
                .isEqualTo("0x1c20480e81bb9523b1c0c7f777b3370f");
    }

    @Test
    void oneWayChap() throws LoginException {
        SecurityNegotiation s = challenged(ChapSecrets.oneWay(INITIATOR));
        assertThat(s.respond(keys("CHAP_N=iqn.1994-05.com.redhat:host", "CHAP_R=" + RESPONSE_ID1))).isEmpty();
        assertThat(s.complete()).isTrue();
    }

    @Test
    void theResponseMayComeInBase64OrUpperCaseHex() throws LoginException {
        byte[] response = HexFormat.of().parseHex(RESPONSE_ID1.substring(2));
        SecurityNegotiation base64 = challenged(ChapSecrets.oneWay(INITIATOR));
        base64.respond(keys("CHAP_N=iqn.1994-05.com.redhat:host", "CHAP_R=" + BinaryValues.encodeBase64(response)));
        assertThat(base64.complete()).isTrue();
        SecurityNegotiation upper = challenged(ChapSecrets.oneWay(INITIATOR));
        upper.respond(keys("CHAP_R=0X" + RESPONSE_ID1.substring(2).toUpperCase(), "CHAP_N=iqn.1994-05.com.redhat:host"));
        assertThat(upper.complete()).isTrue();
    }

    @Test
    void aWrongSecretFailsAuthentication() throws LoginException {
        SecurityNegotiation s = challenged(ChapSecrets.oneWay(ChapCredential.of("iqn.1994-05.com.redhat:host",
                "othersecret12")));
        Throwable refusal = org.assertj.core.api.Assertions.catchThrowable(
                () -> s.respond(keys("CHAP_N=iqn.1994-05.com.redhat:host", "CHAP_R=" + RESPONSE_ID1)));
        assertThat(refusal).isInstanceOfSatisfying(LoginException.class,
                e -> assertThat(e.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE))
                .hasMessageContaining("does not match");
        // The refusal (the target logs it) does not carry the response: with the challenge, a reader of the log
        // could try secrets offline.
        assertThat(refusal.getMessage()).doesNotContainIgnoringCase(RESPONSE_ID1.substring(2));
        assertThat(s.complete()).isFalse();
    }

    @Test
    void aWrongUserFailsAuthentication() throws LoginException {
        SecurityNegotiation s = challenged(ChapSecrets.oneWay(INITIATOR));
        fails(LoginStatus.AUTHENTICATION_FAILURE, "CHAP_N=someone",
                () -> s.respond(keys("CHAP_N=someone", "CHAP_R=" + RESPONSE_ID1)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"CHAP_R=226dc576c33f04ff9c3a200ffe35f442", "CHAP_R=0xZZ", "CHAP_R=0x",
        "CHAP_R=0x226dc576c33f04ff9c3a200ffe35f4", "CHAP_R=0b!!!!"})
    void aMalformedOrShortResponseFailsAuthentication(String pair) throws LoginException {
        SecurityNegotiation s = challenged(ChapSecrets.oneWay(INITIATOR));
        fails(LoginStatus.AUTHENTICATION_FAILURE, "CHAP_R",
                () -> s.respond(List.of(new TextKey("CHAP_N", INITIATOR.user()), keys(pair).getFirst())));
    }

    @Test
    void aResponseWithoutItsNameFailsAuthentication() throws LoginException {
        SecurityNegotiation s = challenged(ChapSecrets.oneWay(INITIATOR));
        fails(LoginStatus.AUTHENTICATION_FAILURE, "CHAP_N", () -> s.respond(keys("CHAP_R=" + RESPONSE_ID1)));
    }

    @Test
    void mutualChap() throws LoginException {
        SecurityNegotiation s = challenged(new ChapSecrets(INITIATOR, TARGET));
        assertThat(s.respond(keys("CHAP_N=iqn.1994-05.com.redhat:host", "CHAP_R=" + RESPONSE_ID1, "CHAP_I=7",
                "CHAP_C=0x" + "aa".repeat(16)))).isEqualTo(keys("CHAP_N=target-user", "CHAP_R=" + MUTUAL_RESPONSE_ID7));
        assertThat(s.complete()).isTrue();
    }

    @Test
    void mutualChapWithABase64Challenge() throws LoginException {
        byte[] aa = new byte[16];
        java.util.Arrays.fill(aa, (byte) 0xaa);
        SecurityNegotiation s = challenged(new ChapSecrets(INITIATOR, TARGET));
        assertThat(s.respond(keys("CHAP_I=7", "CHAP_C=" + BinaryValues.encodeBase64(aa),
                "CHAP_N=iqn.1994-05.com.redhat:host", "CHAP_R=" + RESPONSE_ID1)))
                .isEqualTo(keys("CHAP_N=target-user", "CHAP_R=" + MUTUAL_RESPONSE_ID7));
    }

    @Test
    void aReflectedChallengeIsRefused() throws LoginException {
        // RFC 7143, 12.1.3: "Originators MUST NOT reuse the CHAP challenge sent by the responder for the other
        // direction of a bidirectional authentication. Responders MUST check for this condition".
        SecurityNegotiation s = challenged(new ChapSecrets(INITIATOR, TARGET));
        fails(LoginStatus.AUTHENTICATION_FAILURE, "reflection", () -> s.respond(keys("CHAP_N=iqn.1994-05.com.redhat:host",
                "CHAP_R=" + RESPONSE_ID1, "CHAP_I=1", "CHAP_C=0x000102030405060708090A0B0C0D0E0F")));
        assertThat(s.complete()).isFalse();
    }

    @Test
    void mutualChapWithoutATargetCredentialFails() throws LoginException {
        SecurityNegotiation s = challenged(ChapSecrets.oneWay(INITIATOR));
        fails(LoginStatus.AUTHENTICATION_FAILURE, "mutual", () -> s.respond(keys("CHAP_N=iqn.1994-05.com.redhat:host",
                "CHAP_R=" + RESPONSE_ID1, "CHAP_I=7", "CHAP_C=0x" + "aa".repeat(16))));
    }

    @Test
    void theTargetAnswersNoChallengeBeforeTheInitiatorProvedItself() throws LoginException {
        SecurityNegotiation s = challenged(new ChapSecrets(INITIATOR, TARGET));
        fails(LoginStatus.AUTHENTICATION_FAILURE, "does not match", () -> s.respond(keys(
                "CHAP_N=iqn.1994-05.com.redhat:host", "CHAP_R=0x" + "00".repeat(16), "CHAP_I=7",
                "CHAP_C=0x" + "aa".repeat(16))));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', textBlock = """
        CHAP_I=7    | CHAP_C
        CHAP_I=256  | CHAP_I=256
        CHAP_I=x    | CHAP_I=x
        """)
    void anIncompleteOrMalformedMutualChallengeFails(String idPair, String message) throws LoginException {
        SecurityNegotiation s = challenged(new ChapSecrets(INITIATOR, TARGET));
        List<TextKey> request = new java.util.ArrayList<>(keys("CHAP_N=iqn.1994-05.com.redhat:host",
                "CHAP_R=" + RESPONSE_ID1, idPair));
        if (!idPair.equals("CHAP_I=7")) {
            request.add(new TextKey("CHAP_C", "0x" + "aa".repeat(16)));
        }
        fails(LoginStatus.AUTHENTICATION_FAILURE, message, () -> s.respond(request));
    }

    @Test
    void aChallengeOver1024BytesFails() throws LoginException {
        SecurityNegotiation s = challenged(new ChapSecrets(INITIATOR, TARGET));
        fails(LoginStatus.AUTHENTICATION_FAILURE, "1025", () -> s.respond(keys("CHAP_N=iqn.1994-05.com.redhat:host",
                "CHAP_R=" + RESPONSE_ID1, "CHAP_I=7", "CHAP_C=0x" + "aa".repeat(1025))));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
        CHAP,None    | CHAP
        None,CHAP    | CHAP
        KRB5,CHAP    | CHAP
        CHAP         | CHAP
        """)
    void chapIsChosenWhenTheTargetRequiresIt(String offered, String chosen) throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed());
        assertThat(s.respond(keys("AuthMethod=" + offered))).isEqualTo(keys("AuthMethod=" + chosen));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
        CHAP,None    | None
        None         | None
        SRP,None     | None
        """)
    void noneIsChosenWhenNothingIsRequired(String offered, String chosen) throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(null, fixed());
        assertThat(s.complete()).as("no authentication required, none started").isTrue();
        assertThat(s.respond(keys("AuthMethod=" + offered))).isEqualTo(keys("AuthMethod=" + chosen));
        assertThat(s.complete()).isTrue();
    }

    @Test
    void withoutAnAcceptableMethodAuthenticationFails() {
        fails(LoginStatus.AUTHENTICATION_FAILURE, "AuthMethod=None",
                () -> new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed()).respond(keys("AuthMethod=None")));
        fails(LoginStatus.AUTHENTICATION_FAILURE, "AuthMethod=CHAP",
                () -> new SecurityNegotiation(null, fixed()).respond(keys("AuthMethod=CHAP")));
        fails(LoginStatus.INITIATOR_ERROR, "AuthMethod=CHAP,,None",
                () -> new SecurityNegotiation(null, fixed()).respond(keys("AuthMethod=CHAP,,None")));
    }

    @Test
    void aTargetThatRequiresChapIsNotCompleteUntilItIsDone() throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed());
        assertThat(s.complete()).isFalse();
        s.respond(keys("AuthMethod=CHAP"));
        assertThat(s.complete()).isFalse();
    }

    /**
     * The first known algorithm in the initiator's order of preference (RFC 7143, 6.2.1; as LIO): open-iscsi's list is
     * strongest first, libiscsi's iSCSICHAP.Simple offers 5,6,7,8 and answers only with MD5.
     */
    @ParameterizedTest(name = "CHAP_A={0} -> {1}")
    @CsvSource(delimiter = ';', value = {"5;5", "0x5;5", "X-other,5;5", "8,7,6,5;8", "5,6,7,8;5", "6,5;6", "7;7",
        "9,255,3,7,5;7", "1,6;6", "0x8,5;8", "56,6;6"})
    void theFirstKnownAlgorithmIsPicked(String offered, String chosen) throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed());
        s.respond(keys("AuthMethod=CHAP"));
        assertThat(s.respond(keys("CHAP_A=" + offered)).getFirst()).isEqualTo(new TextKey("CHAP_A", chosen));
        assertThat(s.algorithm()).map(ChapAlgorithm::code).contains(Integer.parseInt(chosen));
    }

    @ParameterizedTest(name = "CHAP_A={0}")
    @ValueSource(strings = {"9,4", "X-sha512", "256", "1,2,3", "56", ""})
    void withoutAKnownAlgorithmAuthenticationFails(String offered) throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed());
        s.respond(keys("AuthMethod=CHAP"));
        fails(LoginStatus.AUTHENTICATION_FAILURE, "CHAP_A=" + offered, () -> s.respond(keys("CHAP_A=" + offered)));
        assertThat(s.algorithm()).isEmpty();
    }

    /**
     * Known answers from Python's hashlib and OpenSSL: digest(0x01 || "secretsecret" || 00 01 .. (length-1)), the
     * challenge being as long as the digest.
     */
    @ParameterizedTest(name = "CHAP_A={0}")
    @CsvSource({
        "6, 0x1e9b868771e32f55cca49a6339aacfe76d25e203",
        "7, 0x24e77c90b22d2eef3c49c456b261cf9f4f5790c9e2d2a127134ab2eafb959031",
        "8, 0x2bb068ce881941e99d2ce7e298a62fe1506c00436aff63143a14976cf4509a74"})
    void oneWayChapWithTheShaAlgorithms(int code, String response) throws LoginException {
        ChapAlgorithm algorithm = ChapAlgorithm.fromCode(code).orElseThrow();
        SecurityNegotiation s = new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed());
        s.respond(keys("AuthMethod=CHAP"));
        List<TextKey> challenge = s.respond(keys("CHAP_A=" + code));
        assertThat(challenge.get(2).value()).hasSize(2 + 2 * algorithm.digestLength());
        // An MD5 response to the longer challenge is no answer.
        SecurityNegotiation md5Answer = new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed());
        md5Answer.respond(keys("AuthMethod=CHAP"));
        md5Answer.respond(keys("CHAP_A=" + code));
        fails(LoginStatus.AUTHENTICATION_FAILURE, "does not match", () -> md5Answer.respond(keys(
                "CHAP_N=" + INITIATOR.user(), "CHAP_R=" + BinaryValues.encodeHex(ChapAlgorithm.MD5.response(1,
                        INITIATOR.secretBytes(), HexFormat.of().parseHex(challenge.get(2).value().substring(2)))))));
        assertThat(s.respond(keys("CHAP_N=" + INITIATOR.user(), "CHAP_R=" + response))).isEmpty();
        assertThat(s.complete()).isTrue();
    }

    /** Mutual CHAP answers with the agreed algorithm: SHA-256(0x07 || "targetsecret1" || 32 bytes 0xaa). */
    @Test
    void mutualChapWithSha256() throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(new ChapSecrets(INITIATOR, TARGET), fixed());
        s.respond(keys("AuthMethod=CHAP"));
        s.respond(keys("CHAP_A=7,5"));
        assertThat(s.respond(keys("CHAP_N=" + INITIATOR.user(),
                "CHAP_R=0x24e77c90b22d2eef3c49c456b261cf9f4f5790c9e2d2a127134ab2eafb959031", "CHAP_I=7",
                "CHAP_C=0x" + "aa".repeat(32)))).isEqualTo(keys("CHAP_N=target-user",
                "CHAP_R=0x80895927ed24e1dea692ce1293f35e69fda1fcd190c112912cfd473a0d9582ba"));
    }

    @Test
    void authMethodAndAlgorithmMayShareARequest() throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed());
        assertThat(s.respond(keys("AuthMethod=CHAP", "CHAP_A=5"))).isEqualTo(keys("AuthMethod=CHAP", "CHAP_A=5",
                "CHAP_I=1", "CHAP_C=0x000102030405060708090a0b0c0d0e0f"));
    }

    @Test
    void chapKeysOutOfSequenceAreProtocolErrors() throws LoginException {
        fails(LoginStatus.INITIATOR_ERROR, "out of sequence",
                () -> new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed()).respond(keys("CHAP_A=5")));
        SecurityNegotiation agreed = new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed());
        agreed.respond(keys("AuthMethod=CHAP"));
        fails(LoginStatus.INITIATOR_ERROR, "CHAP_N", () -> agreed.respond(keys("CHAP_N=x", "CHAP_R=0x00")));
        SecurityNegotiation none = new SecurityNegotiation(null, fixed());
        none.respond(keys("AuthMethod=None"));
        fails(LoginStatus.INITIATOR_ERROR, "CHAP_A", () -> none.respond(keys("CHAP_A=5")));
    }

    @Test
    void aKeySentTwiceIsAProtocolError() throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), fixed());
        s.respond(keys("AuthMethod=CHAP"));
        fails(LoginStatus.INITIATOR_ERROR, "twice", () -> s.respond(keys("AuthMethod=CHAP")));
    }

    @Test
    void declarationsOperationalAndUnknownKeysInTheSecurityStage() throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(null, fixed());
        assertThat(s.respond(keys("InitiatorName=iqn.2004-10.com.ubuntu:01:1", "InitiatorAlias=h",
                "TargetName=iqn.2025-01.org.copyoffload:disk1", "SessionType=Normal", "AuthMethod=None",
                "HeaderDigest=None", "X-com.example.a=1", "SRP_U=user")))
                .isEqualTo(keys("AuthMethod=None", "HeaderDigest=Reject", "X-com.example.a=NotUnderstood",
                        "SRP_U=NotUnderstood"));
    }

    @Test
    void challengesComeFromTheRandomSource() throws LoginException {
        SplittableRandom random = new SplittableRandom(42);
        List<TextKey> first = challengedWith(random);
        List<TextKey> second = challengedWith(random);
        assertThat(first.get(2).value()).matches("0x[0-9a-f]{32}");
        assertThat(second.get(2).value()).isNotEqualTo(first.get(2).value());
        assertThat(Integer.parseInt(first.get(1).value())).isBetween(0, 255);
    }

    private static List<TextKey> challengedWith(RandomGenerator random) throws LoginException {
        SecurityNegotiation s = new SecurityNegotiation(ChapSecrets.oneWay(INITIATOR), random);
        s.respond(keys("AuthMethod=CHAP"));
        return s.respond(keys("CHAP_A=5"));
    }

    @Test
    void credentials() {
        assertThat(INITIATOR.toString()).doesNotContain("secretsecret").contains("12 bytes");
        assertThat(ChapCredential.of("u", "secretsecret")).isEqualTo(ChapCredential.of("u", "secretsecret"));
        byte[] secret = INITIATOR.secret();
        secret[0] = 'X';
        assertThat(INITIATOR.secret()[0]).as("a copy").isEqualTo((byte) 's');
        assertThatThrownBy(() -> ChapCredential.of("u", "")).hasMessageContaining("RFC 1994");
        assertThatThrownBy(() -> ChapCredential.of("", "secretsecret")).hasMessageContaining("user");
        assertThatThrownBy(() -> new ChapSecrets(INITIATOR, ChapCredential.of("target", "secretsecret")))
                .hasMessageContaining("12.1.3");
    }

    @Test
    void binaryValues() {
        assertThat(BinaryValues.decode("K", "0xabc")).containsExactly(0x0a, 0xbc);
        assertThat(BinaryValues.decode("K", "0X0A0b")).containsExactly(0x0a, 0x0b);
        assertThat(BinaryValues.decode("K", "0bAAEC")).containsExactly(0x00, 0x01, 0x02);
        assertThat(BinaryValues.decode("K", "0BAAE=")).containsExactly(0x00, 0x01);
        assertThat(BinaryValues.encodeHex(new byte[] {0, (byte) 0xff})).isEqualTo("0x00ff");
        assertThat(BinaryValues.encodeBase64(new byte[] {0, 1})).isEqualTo("0bAAE=");
        for (String bad : new String[] {"abc", "0x", "0xzz", "0b", "0b!!", "0c12", "12"}) {
            assertThatThrownBy(() -> BinaryValues.decode("CHAP_C", bad)).as(bad)
                    .isInstanceOf(IscsiTextException.class).hasMessageContaining("CHAP_C=" + bad);
        }
    }
}
