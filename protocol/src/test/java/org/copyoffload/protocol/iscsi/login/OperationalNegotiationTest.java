package org.copyoffload.protocol.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The target's operational negotiation (RFC 7143, 6.2, 13) with {@link TargetLimits#defaults()}:
 * MaxRecvDataSegmentLength 262144, MaxBurstLength 262144, FirstBurstLength 65536, MaxOutstandingR2T 1,
 * InitialR2T Yes, ImmediateData Yes, MaxConnections 8, DefaultTime2Wait 2, DefaultTime2Retain 20, ERL 0,
 * both digests allowed.
 */
class OperationalNegotiationTest {

    private static final TargetLimits LIMITS = TargetLimits.defaults();
    /** The same with no digests, InitialR2T No and ImmediateData No as the target's own preferences. */
    private static final TargetLimits PLAIN = new TargetLimits(false, false, 8192, 65536, 16384, 4, false, false,
            2, 5, 10, 0, "plain target", 7);

    static List<TextKey> keys(String... pairs) {
        List<TextKey> keys = new ArrayList<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            keys.add(new TextKey(pair.substring(0, eq), pair.substring(eq + 1)));
        }
        return keys;
    }

    private static Object component(NegotiatedParameters p, String name) {
        for (RecordComponent c : NegotiatedParameters.class.getRecordComponents()) {
            if (c.getName().equals(name)) {
                try {
                    return c.getAccessor().invoke(p);
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
        }
        throw new AssertionError("no component " + name);
    }

    private static void check(TargetLimits limits, boolean discovery, String key, String offered, String answer,
            String field, String result) throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(limits, discovery);
        List<TextKey> answers = n.respond(List.of(new TextKey(key, offered)));
        if (answer.equals("-")) {
            assertThat(answers).as("%s=%s needs no answer", key, offered).isEmpty();
        } else {
            assertThat(answers).as("answer to %s=%s", key, offered).containsExactly(new TextKey(key, answer));
        }
        if (!field.equals("-")) {
            assertThat(String.valueOf(component(n.result(), field))).as("result %s after %s=%s", field, key, offered)
                    .isEqualTo(result);
        }
    }

    /** Each key's result function against the default limits; "-" means no answer or no result field. */
    @ParameterizedTest(name = "{0}={1} -> {2}, {3} = {4}")
    @CsvSource(delimiter = '|', textBlock = """
        # 13.1 list selection, first supported value in the initiator's order
        HeaderDigest        | CRC32C,None              | CRC32C   | headerDigest | true
        HeaderDigest        | None,CRC32C              | None     | headerDigest | false
        HeaderDigest        | CRC32C                   | CRC32C   | headerDigest | true
        HeaderDigest        | None                     | None     | headerDigest | false
        HeaderDigest        | X-com.example.md5,CRC32C | CRC32C   | headerDigest | true
        HeaderDigest        | X-com.example.md5        | Reject   | headerDigest | false
        HeaderDigest        | CRC32C,,None             | Reject   | headerDigest | false
        DataDigest          | CRC32C,None              | CRC32C   | dataDigest   | true
        DataDigest          | None                     | None     | dataDigest   | false
        DataDigest          | MD5                      | Reject   | dataDigest   | false
        # 13.2 Minimum, 1..65535; the target offers 8
        MaxConnections      | 1                        | 1        | maxConnections | 1
        MaxConnections      | 4                        | 4        | maxConnections | 4
        MaxConnections      | 8                        | 8        | maxConnections | 8
        MaxConnections      | 9                        | 8        | maxConnections | 8
        MaxConnections      | 65535                    | 8        | maxConnections | 8
        MaxConnections      | 0x10                     | 8        | maxConnections | 8
        MaxConnections      | 0                        | Reject   | maxConnections | 1
        MaxConnections      | 65536                    | Reject   | maxConnections | 1
        MaxConnections      | 04                       | Reject   | maxConnections | 1
        MaxConnections      | -1                       | Reject   | maxConnections | 1
        MaxConnections      | four                     | Reject   | maxConnections | 1
        MaxConnections      | 0x                       | Reject   | maxConnections | 1
        MaxConnections      | 18446744073709551616     | Reject   | maxConnections | 1
        # 13.10 OR with the target's Yes
        InitialR2T          | Yes                      | Yes      | initialR2T | true
        InitialR2T          | No                       | Yes      | initialR2T | true
        InitialR2T          | yes                      | Reject   | initialR2T | true
        # 13.11 AND with the target's Yes
        ImmediateData       | Yes                      | Yes      | immediateData | true
        ImmediateData       | No                       | No       | immediateData | false
        ImmediateData       | 1                        | Reject   | immediateData | true
        # 13.12 declarative both ways: the target answers with its own value
        MaxRecvDataSegmentLength | 262144              | 262144   | initiatorMaxRecvDataSegmentLength | 262144
        MaxRecvDataSegmentLength | 4096                | 262144   | initiatorMaxRecvDataSegmentLength | 4096
        MaxRecvDataSegmentLength | 16777215            | 262144   | initiatorMaxRecvDataSegmentLength | 16777215
        MaxRecvDataSegmentLength | 511                 | Reject   | initiatorMaxRecvDataSegmentLength | 8192
        MaxRecvDataSegmentLength | 16777216            | Reject   | initiatorMaxRecvDataSegmentLength | 8192
        # 13.13 Minimum, 512..2^24-1
        MaxBurstLength      | 512                      | 512      | maxBurstLength | 512
        MaxBurstLength      | 262144                   | 262144   | maxBurstLength | 262144
        MaxBurstLength      | 16776192                 | 262144   | maxBurstLength | 262144
        MaxBurstLength      | 511                      | Reject   | maxBurstLength | 262144
        MaxBurstLength      | 16777216                 | Reject   | maxBurstLength | 262144
        # 13.14 Minimum, 512..2^24-1, and at most MaxBurstLength
        FirstBurstLength    | 262144                   | 65536    | firstBurstLength | 65536
        FirstBurstLength    | 4096                     | 4096     | firstBurstLength | 4096
        FirstBurstLength    | 511                      | Reject   | firstBurstLength | 65536
        # 13.15 Maximum, 0..3600; the target wants at least 2
        DefaultTime2Wait    | 0                        | 2        | defaultTime2Wait | 2
        DefaultTime2Wait    | 2                        | 2        | defaultTime2Wait | 2
        DefaultTime2Wait    | 3600                     | 3600     | defaultTime2Wait | 3600
        DefaultTime2Wait    | 3601                     | Reject   | defaultTime2Wait | 2
        # 13.16 Minimum, 0..3600; the target offers 20
        DefaultTime2Retain  | 0                        | 0        | defaultTime2Retain | 0
        DefaultTime2Retain  | 20                       | 20       | defaultTime2Retain | 20
        DefaultTime2Retain  | 3600                     | 20       | defaultTime2Retain | 20
        DefaultTime2Retain  | 3601                     | Reject   | defaultTime2Retain | 20
        # 13.17 Minimum, 1..65535; the target offers 1
        MaxOutstandingR2T   | 1                        | 1        | maxOutstandingR2T | 1
        MaxOutstandingR2T   | 16                       | 1        | maxOutstandingR2T | 1
        MaxOutstandingR2T   | 0                        | Reject   | maxOutstandingR2T | 1
        # 13.18, 13.19 OR with the target's Yes
        DataPDUInOrder      | Yes                      | Yes      | dataPduInOrder | true
        DataPDUInOrder      | No                       | Yes      | dataPduInOrder | true
        DataPDUInOrder      | Maybe                    | Reject   | dataPduInOrder | true
        DataSequenceInOrder | No                       | Yes      | dataSequenceInOrder | true
        # 13.20 Minimum, 0..2; the target implements 0
        ErrorRecoveryLevel  | 0                        | 0        | errorRecoveryLevel | 0
        ErrorRecoveryLevel  | 2                        | 0        | errorRecoveryLevel | 0
        ErrorRecoveryLevel  | 3                        | Reject   | errorRecoveryLevel | 0
        # 13.23 list; RFC 3720 task reporting only
        TaskReporting       | RFC3720                  | RFC3720  | - | -
        TaskReporting       | FastAbort,RFC3720        | RFC3720  | - | -
        TaskReporting       | ResponseFence,FastAbort  | Reject   | - | -
        # 13.25 obsolete markers
        IFMarker            | No                       | Reject   | - | -
        OFMarker            | Yes                      | Reject   | - | -
        IFMarkInt           | 2048~8192                | Reject   | - | -
        OFMarkInt           | 2048~8192                | Reject   | - | -
        # keys sent by the wrong side, in the wrong stage or phase
        TargetAlias         | disk                     | Reject   | - | -
        TargetAddress       | 10.0.0.1:3260,1          | Reject   | - | -
        TargetPortalGroupTag | 1                       | Reject   | - | -
        SendTargets         | All                      | Reject   | - | -
        AuthMethod          | None                     | Reject   | - | -
        CHAP_A              | 5                        | Reject   | - | -
        # iSER (RFC 7145) on a TCP-only target
        RDMAExtensions      | Yes                      | No       | - | -
        RDMAExtensions      | No                       | No       | - | -
        RDMAExtensions      | Perhaps                  | Reject   | - | -
        TargetRecvDataSegmentLength    | 8192          | Irrelevant | - | -
        InitiatorRecvDataSegmentLength | 262144        | Irrelevant | - | -
        MaxOutstandingUnexpectedPDUs   | 0             | Irrelevant | - | -
        # keys the target does not know, extension keys included
        X-com.example.turbo | Yes                      | NotUnderstood | - | -
        X#NodeArchitecture  | Linux,open-iscsi         | NotUnderstood | - | -
        FutureKey           | 1                        | NotUnderstood | - | -
        # declarations: stored, not answered
        InitiatorAlias      | host one                 | -        | - | -
        """)
    void resultFunctionOfEachKey(String key, String offered, String answer, String field, String result)
            throws LoginException {
        check(LIMITS, false, key, offered, answer, field, result);
    }

    /** The same functions with the target's other side: no digests, InitialR2T No, ImmediateData No, small limits. */
    @ParameterizedTest(name = "{0}={1} -> {2}, {3} = {4}")
    @CsvSource(delimiter = '|', textBlock = """
        HeaderDigest        | CRC32C,None | None    | headerDigest | false
        HeaderDigest        | CRC32C      | Reject  | headerDigest | false
        DataDigest          | CRC32C,None | None    | dataDigest   | false
        InitialR2T          | No          | No      | initialR2T   | false
        InitialR2T          | Yes         | Yes     | initialR2T   | true
        ImmediateData       | Yes         | No      | immediateData | false
        MaxConnections      | 8           | 2       | maxConnections | 2
        MaxBurstLength      | 262144      | 65536   | maxBurstLength | 65536
        FirstBurstLength    | 65536       | 16384   | firstBurstLength | 16384
        MaxOutstandingR2T   | 16          | 4       | maxOutstandingR2T | 4
        DefaultTime2Wait    | 2           | 5       | defaultTime2Wait | 5
        DefaultTime2Retain  | 20          | 10      | defaultTime2Retain | 10
        MaxRecvDataSegmentLength | 65536  | 8192    | targetMaxRecvDataSegmentLength | 8192
        """)
    void resultFunctionsAgainstOtherLimits(String key, String offered, String answer, String field, String result)
            throws LoginException {
        check(PLAIN, false, key, offered, answer, field, result);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"MaxConnections=4", "InitialR2T=No", "ImmediateData=Yes", "MaxBurstLength=262144",
        "FirstBurstLength=65536", "MaxOutstandingR2T=1", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes",
        "TaskReporting=RFC3720", "MaxBurstLength=1"})
    void sessionKeysAreIrrelevantOnADiscoverySession(String pair) throws LoginException {
        // RFC 7143, 13.2, 13.10, 13.11, 13.13, 13.14, 13.17, 13.18, 13.19, 13.23: "Irrelevant when:
        // SessionType=Discovery"; the answer does not depend on the value.
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, true);
        TextKey key = keys(pair).getFirst();
        assertThat(n.respond(List.of(key))).containsExactly(new TextKey(key.name(), "Irrelevant"));
        assertThat(n.result()).isEqualTo(NegotiatedParameters.defaults());
    }

    @Test
    void aDiscoverySessionStillNegotiatesConnectionAndTimerKeys() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, true);
        assertThat(n.respond(keys("HeaderDigest=CRC32C,None", "DefaultTime2Wait=0", "DefaultTime2Retain=0",
                "ErrorRecoveryLevel=1", "MaxRecvDataSegmentLength=32768")))
                .isEqualTo(keys("HeaderDigest=CRC32C", "DefaultTime2Wait=2", "DefaultTime2Retain=0",
                        "ErrorRecoveryLevel=0", "MaxRecvDataSegmentLength=262144"));
        assertThat(n.result().headerDigest()).isTrue();
        assertThat(n.result().initiatorMaxRecvDataSegmentLength()).isEqualTo(32768);
    }

    @Test
    void answersComeInTheOrderOfTheRequest() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        assertThat(n.respond(keys("X-com.example.a=1", "MaxConnections=2", "IFMarker=No", "ErrorRecoveryLevel=0")))
                .isEqualTo(keys("X-com.example.a=NotUnderstood", "MaxConnections=2", "IFMarker=Reject",
                        "ErrorRecoveryLevel=0"));
    }

    @Test
    void firstBurstLengthNeverExceedsMaxBurstLengthWhateverTheOrder() throws LoginException {
        // RFC 7143, 13.14: "FirstBurstLength MUST NOT exceed MaxBurstLength."
        OperationalNegotiation before = new OperationalNegotiation(LIMITS, false);
        assertThat(before.respond(keys("FirstBurstLength=65536", "MaxBurstLength=16384")))
                .isEqualTo(keys("FirstBurstLength=16384", "MaxBurstLength=16384"));
        assertThat(before.result().firstBurstLength()).isEqualTo(16384);

        OperationalNegotiation after = new OperationalNegotiation(LIMITS, false);
        assertThat(after.respond(keys("MaxBurstLength=32768", "FirstBurstLength=262144")))
                .isEqualTo(keys("MaxBurstLength=32768", "FirstBurstLength=32768"));

        OperationalNegotiation laterRequest = new OperationalNegotiation(LIMITS, false);
        laterRequest.respond(keys("MaxBurstLength=8192"));
        assertThat(laterRequest.respond(keys("FirstBurstLength=65536"))).isEqualTo(keys("FirstBurstLength=8192"));

        // Lowered afterwards: the result is capped, since an initiator that keeps to 13.14 cannot send more.
        OperationalNegotiation lowered = new OperationalNegotiation(LIMITS, false);
        lowered.respond(keys("FirstBurstLength=65536"));
        lowered.respond(keys("MaxBurstLength=4096"));
        assertThat(lowered.result().firstBurstLength()).isEqualTo(4096);
        assertThat(lowered.result().maxBurstLength()).isEqualTo(4096);
    }

    @Test
    void rejectLeavesTheKeyAtItsDefault() throws LoginException {
        // RFC 7143, 6.2: "If the acceptor sends 'Reject' as an answer, the negotiated key is left at its current
        // value (or default if no value was set)."
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        assertThat(n.respond(keys("MaxBurstLength=100", "DefaultTime2Retain=9999", "HeaderDigest=MD5")))
                .isEqualTo(keys("MaxBurstLength=Reject", "DefaultTime2Retain=Reject", "HeaderDigest=Reject"));
        assertThat(n.result()).isEqualTo(NegotiatedParameters.defaults());
    }

    @Test
    void aKeySentTwiceInOneRequestIsAProtocolError() {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        assertThatThrownBy(() -> n.respond(keys("MaxBurstLength=65536", "MaxBurstLength=65536")))
                .isInstanceOfSatisfying(LoginException.class,
                        e -> assertThat(e.status()).isEqualTo(LoginStatus.INITIATOR_ERROR))
                .hasMessageContaining("MaxBurstLength").hasMessageContaining("twice");
    }

    @Test
    void aKeySentAgainInALaterLoginRequestIsAProtocolError() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        n.respond(keys("ImmediateData=Yes"));
        assertThatThrownBy(() -> n.respond(keys("ImmediateData=No")))
                .isInstanceOfSatisfying(LoginException.class,
                        e -> assertThat(e.status()).isEqualTo(LoginStatus.INITIATOR_ERROR))
                .hasMessageContaining("ImmediateData=No");
    }

    @Test
    void unknownKeysSentTwiceAreDuplicatesToo() {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        assertThatThrownBy(() -> n.respond(keys("X-com.example.a=1", "X-com.example.a=2")))
                .isInstanceOf(LoginException.class).hasMessageContaining("X-com.example.a");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"MaxBurstLength=Reject", "HeaderDigest=Irrelevant", "X-com.example.a=NotUnderstood"})
    void proposingAReservedConstantIsAProtocolError(String pair) {
        // RFC 7143, 6.2: Reject, Irrelevant and NotUnderstood are answers; proposing one is a protocol error.
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        assertThatThrownBy(() -> n.respond(keys(pair)))
                .isInstanceOfSatisfying(LoginException.class,
                        e -> assertThat(e.status()).isEqualTo(LoginStatus.INITIATOR_ERROR))
                .hasMessageContaining(pair);
    }

    @Test
    void anInitiatorMayAnswerOurDeclarationsWithNotUnderstood() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(PLAIN, false);
        assertThat(n.anyStageDeclarations())
                .isEqualTo(keys("TargetPortalGroupTag=7", "TargetAlias=plain target"));
        assertThat(n.respond(keys("TargetAlias=NotUnderstood", "MaxConnections=1")))
                .isEqualTo(keys("MaxConnections=1"));
    }

    @Test
    void declarationsAreStoredAndNotAnswered() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        assertThat(n.respond(keys("InitiatorName=iqn.1994-05.com.redhat:d00d", "InitiatorAlias=büro",
                "TargetName=iqn.2025-01.org.copyoffload:disk1", "SessionType=Normal"))).isEmpty();
        assertThat(n.initiatorName()).contains("iqn.1994-05.com.redhat:d00d");
        assertThat(n.initiatorAlias()).contains("büro");
        assertThat(n.targetName()).contains("iqn.2025-01.org.copyoffload:disk1");
        assertThat(n.sessionType()).contains(SessionType.NORMAL);
    }

    @Test
    void nothingDeclaredIsEmpty() {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        assertThat(n.initiatorName()).isEmpty();
        assertThat(n.targetName()).isEmpty();
        assertThat(n.initiatorAlias()).isEmpty();
        assertThat(n.sessionType()).isEmpty();
    }

    @Test
    void securityStageDeclarationsCountForTheWholeLogin() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, true);
        n.recordDeclarations(keys("InitiatorName=iqn.2004-10.com.ubuntu:01:1", "SessionType=Discovery",
                "AuthMethod=None"));
        assertThat(n.initiatorName()).contains("iqn.2004-10.com.ubuntu:01:1");
        assertThat(n.sessionType()).contains(SessionType.DISCOVERY);
        assertThatThrownBy(() -> n.respond(keys("InitiatorName=iqn.2004-10.com.ubuntu:01:1")))
                .isInstanceOf(LoginException.class).hasMessageContaining("twice");
        // AuthMethod was the security negotiation's, not a declaration: still unseen here.
        assertThat(n.respond(keys("AuthMethod=None"))).isEqualTo(keys("AuthMethod=Reject"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"InitiatorName=", "TargetName=iqn.2025-01.org.example: space", "InitiatorName=iqn.\tx"})
    void malformedIscsiNamesFailTheLogin(String pair) {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        assertThatThrownBy(() -> n.respond(keys(pair)))
                .isInstanceOfSatisfying(LoginException.class,
                        e -> assertThat(e.status()).isEqualTo(LoginStatus.INITIATOR_ERROR))
                .hasMessageContaining(pair);
    }

    @Test
    void iscsiNamesUpTo223Bytes() throws LoginException {
        String name223 = "iqn.2025-01.org.example:" + "x".repeat(223 - 24);
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        n.respond(List.of(new TextKey("TargetName", name223)));
        assertThat(n.targetName()).contains(name223);
        OperationalNegotiation tooLong = new OperationalNegotiation(LIMITS, false);
        assertThatThrownBy(() -> tooLong.respond(List.of(new TextKey("TargetName", name223 + "x"))))
                .isInstanceOf(LoginException.class).hasMessageContaining("224");
    }

    @Test
    void anAliasLongerThanASimpleValueIsRejected() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        assertThat(n.respond(List.of(new TextKey("InitiatorAlias", "a".repeat(256)))))
                .isEqualTo(keys("InitiatorAlias=Reject"));
        assertThat(n.initiatorAlias()).isEmpty();
    }

    @Test
    void sessionTypeMustBeKnownAndMatchTheSession() {
        assertThatThrownBy(() -> new OperationalNegotiation(LIMITS, false).respond(keys("SessionType=Boot")))
                .isInstanceOfSatisfying(LoginException.class,
                        e -> assertThat(e.status()).isEqualTo(LoginStatus.SESSION_TYPE_NOT_SUPPORTED))
                .hasMessageContaining("SessionType=Boot");
        assertThatThrownBy(() -> new OperationalNegotiation(LIMITS, false).respond(keys("SessionType=Discovery")))
                .isInstanceOfSatisfying(LoginException.class,
                        e -> assertThat(e.status()).isEqualTo(LoginStatus.INITIATOR_ERROR))
                .hasMessageContaining("SessionType=Discovery");
    }

    @Test
    void theTargetDeclaresItsValuesOnceEach() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(PLAIN, false);
        assertThat(n.result().targetMaxRecvDataSegmentLength())
                .as("undeclared: the initiator assumes the default").isEqualTo(8192);
        assertThat(n.anyStageDeclarations()).isEqualTo(keys("TargetPortalGroupTag=7", "TargetAlias=plain target"));
        assertThat(n.targetOffers()).isEqualTo(keys("MaxRecvDataSegmentLength=8192"));
        assertThat(n.targetOffers()).isEmpty();
        assertThat(n.anyStageDeclarations()).isEmpty();

        OperationalNegotiation answered = new OperationalNegotiation(LIMITS, false);
        assertThat(answered.respond(keys("MaxRecvDataSegmentLength=65536")))
                .isEqualTo(keys("MaxRecvDataSegmentLength=262144"));
        assertThat(answered.targetOffers()).isEqualTo(keys("TargetPortalGroupTag=1"));
        assertThat(answered.result().targetMaxRecvDataSegmentLength()).isEqualTo(262144);
        assertThat(answered.result().initiatorMaxRecvDataSegmentLength()).isEqualTo(65536);
    }

    @Test
    void aDiscoverySessionGetsNoPortalGroupTagNorAlias() {
        // RFC 7143, 13.9: the tag is returned "when TargetName is given", which a Discovery session does not.
        OperationalNegotiation n = new OperationalNegotiation(PLAIN, true);
        assertThat(n.anyStageDeclarations()).isEmpty();
        assertThat(n.targetOffers()).isEqualTo(keys("MaxRecvDataSegmentLength=8192"));
    }

    @Test
    void inFullFeaturePhaseOnlyKeysOfUseAllChange() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        n.respond(keys("MaxRecvDataSegmentLength=8192", "MaxBurstLength=65536", "InitiatorAlias=a"));
        n.enterFullFeaturePhase();
        NegotiatedParameters atLogin = n.result();

        assertThat(n.respond(keys("MaxRecvDataSegmentLength=131072", "InitiatorAlias=b"))).as("declarations").isEmpty();
        assertThat(n.result().initiatorMaxRecvDataSegmentLength()).isEqualTo(131072);
        assertThat(n.initiatorAlias()).contains("b");

        assertThat(n.respond(keys("MaxBurstLength=4096", "HeaderDigest=CRC32C", "SessionType=Normal",
                "X-com.example.a=1"))).isEqualTo(keys("MaxBurstLength=Reject", "HeaderDigest=Reject",
                        "SessionType=Reject", "X-com.example.a=NotUnderstood"));
        assertThat(n.result().maxBurstLength()).isEqualTo(atLogin.maxBurstLength());
        assertThat(n.result().headerDigest()).isFalse();
    }

    @Test
    void eachTextRequestIsANegotiationOfItsOwn() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, true);
        n.enterFullFeaturePhase();
        assertThat(n.respond(keys("SendTargets=All"))).as("the caller answers SendTargets").isEmpty();
        assertThat(n.respond(keys("SendTargets=All"))).isEmpty();
        assertThatThrownBy(() -> n.respond(keys("SendTargets=All", "SendTargets=All")))
                .isInstanceOf(LoginException.class);
    }

    @Test
    void theMaxRecvDataSegmentLengthDeclarationIsNotRepeatedInFullFeaturePhase() throws LoginException {
        OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
        n.enterFullFeaturePhase();
        assertThat(n.respond(keys("MaxRecvDataSegmentLength=65536"))).isEqualTo(keys("MaxRecvDataSegmentLength=262144"));
        assertThat(n.respond(keys("MaxRecvDataSegmentLength=32768"))).isEmpty();
        assertThat(n.respond(keys("MaxRecvDataSegmentLength=100"))).isEqualTo(keys("MaxRecvDataSegmentLength=Reject"));
        assertThat(n.result().initiatorMaxRecvDataSegmentLength()).isEqualTo(32768);
    }

    @Test
    void protocolLevelIsTheMinimumOfTheOfferAndOne() throws LoginException {
        // RFC 7143, 13.24: an implementation of RFC 7143 alone has iSCSIProtocolLevel 1.
        for (String[] row : new String[][] {{"0", "0"}, {"1", "1"}, {"2", "1"}, {"31", "1"}, {"32", "Reject"}}) {
            OperationalNegotiation n = new OperationalNegotiation(LIMITS, false);
            assertThat(n.respond(keys("iSCSIProtocolLevel=" + row[0]))).as(row[0])
                    .isEqualTo(keys("iSCSIProtocolLevel=" + row[1]));
            assertThat(n.iscsiProtocolLevel()).isEqualTo(row[1].equals("Reject") ? 0 : Integer.parseInt(row[1]));
        }
    }
}
