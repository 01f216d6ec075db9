package org.copyoffload.protocol.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.protocol.iscsi.login.OperationalNegotiationTest.keys;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The key lists the Linux open-iscsi initiator and libiscsi send in their logins, reconstructed from their
 * login code, and what the target answers. open-iscsi (usr/login.c): the first Login Request carries
 * InitiatorName, InitiatorAlias, TargetName (Normal sessions), SessionType and, in the security stage,
 * AuthMethod; fill_op_params_text then offers HeaderDigest, DataDigest, DefaultTime2Wait, DefaultTime2Retain,
 * IFMarker, OFMarker, ErrorRecoveryLevel and, on Normal sessions, InitialR2T, ImmediateData, MaxBurstLength,
 * FirstBurstLength, MaxOutstandingR2T=1, MaxConnections=1, DataPDUInOrder=Yes, DataSequenceInOrder=Yes,
 * MaxRecvDataSegmentLength, with the values of iscsid.conf's defaults. libiscsi (lib/login.c): without a CHAP
 * user it starts in the operational stage and sends every key in one request, on Discovery sessions too;
 * with one it offers AuthMethod=CHAP,None, then CHAP_A=5, then CHAP_N and CHAP_R (and CHAP_I, CHAP_C with a
 * 32-byte challenge for mutual CHAP).
 */
class InitiatorExchangesTest {

    private static final TargetLimits LIMITS = TargetLimits.defaults();
    private static final String IQN = "iqn.2004-10.com.ubuntu:01:5e6f7a8b9c0d";
    private static final String TARGET = "iqn.2025-01.org.copyoffload:disk1";

    /**
     * The keys open-iscsi's get_op_params_text_keys recognises in an operational-stage Login Response; any
     * other key fails its login ("couldn't recognize text").
     */
    private static final Set<String> OPEN_ISCSI_OPERATIONAL_KEYS = Set.of("TargetAlias", "TargetAddress",
            "TargetPortalGroupTag", "InitialR2T", "ImmediateData", "MaxRecvDataSegmentLength", "FirstBurstLength",
            "MaxBurstLength", "HeaderDigest", "DataDigest", "DefaultTime2Wait", "DefaultTime2Retain", "OFMarker",
            "OFMarkInt", "IFMarker", "IFMarkInt", "DataPDUInOrder", "DataSequenceInOrder", "MaxOutstandingR2T",
            "MaxConnections", "ErrorRecoveryLevel", "RDMAExtensions", "InitiatorRecvDataSegmentLength",
            "TargetRecvDataSegmentLength", "X-com.cisco.protocol", "X-com.cisco.PingTimeout",
            "X-com.cisco.sendAsyncText");
    /** Its get_security_text_keys: these three, and whatever its CHAP code takes. */
    private static final Set<String> OPEN_ISCSI_SECURITY_KEYS = Set.of("TargetAlias", "TargetAddress",
            "TargetPortalGroupTag", "AuthMethod", "CHAP_A", "CHAP_I", "CHAP_C", "CHAP_N", "CHAP_R");

    private static List<TextKey> concat(List<TextKey> a, List<TextKey> b) {
        List<TextKey> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** What open-iscsi's login code checks in an operational-stage response of a Normal session. */
    private static void openIscsiAcceptsOperational(List<TextKey> response, boolean normal) {
        assertThat(response).extracting(TextKey::name).allMatch(OPEN_ISCSI_OPERATIONAL_KEYS::contains);
        TextKeys.find(response, "HeaderDigest").ifPresent(v -> assertThat(v).as("it asked for None").isEqualTo("None"));
        TextKeys.find(response, "DataDigest").ifPresent(v -> assertThat(v).isEqualTo("None"));
        TextKeys.find(response, "ErrorRecoveryLevel").ifPresent(v -> assertThat(v).isEqualTo("0"));
        if (normal) {
            // "can't accept MaxOutstandingR2T" / "MaxConnections" unless the answer is exactly 1
            assertThat(TextKeys.find(response, "MaxOutstandingR2T")).contains("1");
            assertThat(TextKeys.find(response, "MaxConnections")).contains("1");
        }
    }

    @Test
    void openIscsiNormalLoginWithoutAuthentication() throws LoginException {
        List<TextKey> security = keys("InitiatorName=" + IQN, "InitiatorAlias=client", "TargetName=" + TARGET,
                "SessionType=Normal", "AuthMethod=None");
        assertThat(SessionType.of(security)).isEqualTo(SessionType.NORMAL);
        SecurityNegotiation sec = new SecurityNegotiation(null, new SplittableRandom(1));
        OperationalNegotiation op = new OperationalNegotiation(LIMITS, false);
        op.recordDeclarations(security);
        List<TextKey> first = concat(sec.respond(security), op.anyStageDeclarations());
        assertThat(first).isEqualTo(keys("AuthMethod=None", "TargetPortalGroupTag=1"));
        assertThat(first).extracting(TextKey::name).allMatch(OPEN_ISCSI_SECURITY_KEYS::contains);
        assertThat(sec.complete()).isTrue();

        List<TextKey> operational = keys("HeaderDigest=None", "DataDigest=None", "DefaultTime2Wait=2",
                "DefaultTime2Retain=0", "IFMarker=No", "OFMarker=No", "ErrorRecoveryLevel=0", "InitialR2T=No",
                "ImmediateData=Yes", "MaxBurstLength=16776192", "FirstBurstLength=262144", "MaxOutstandingR2T=1",
                "MaxConnections=1", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes", "MaxRecvDataSegmentLength=262144");
        List<TextKey> answer = concat(op.respond(operational), op.targetOffers());
        assertThat(answer).isEqualTo(keys("HeaderDigest=None", "DataDigest=None", "DefaultTime2Wait=2",
                "DefaultTime2Retain=0", "IFMarker=Reject", "OFMarker=Reject", "ErrorRecoveryLevel=0", "InitialR2T=Yes",
                "ImmediateData=Yes", "MaxBurstLength=262144", "FirstBurstLength=65536", "MaxOutstandingR2T=1",
                "MaxConnections=1", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes", "MaxRecvDataSegmentLength=262144"));
        openIscsiAcceptsOperational(answer, true);

        assertThat(op.result()).isEqualTo(new NegotiatedParameters(false, false, 262144, 262144, 262144, 65536, true,
                true, 1, true, true, 0, 1, 2, 0));
        assertThat(op.initiatorName()).contains(IQN);
        assertThat(op.targetName()).contains(TARGET);
        assertThat(op.initiatorAlias()).contains("client");
    }

    @Test
    void openIscsiNormalLoginWithMutualChap() throws LoginException {
        ChapCredential initiator = ChapCredential.of("client-user", "client-secret-16");
        ChapCredential target = ChapCredential.of("target-user", "target-secret-16");
        SecurityNegotiation sec = new SecurityNegotiation(new ChapSecrets(initiator, target), new SplittableRandom(7));
        OperationalNegotiation op = new OperationalNegotiation(LIMITS, false);

        List<TextKey> security = keys("InitiatorName=" + IQN, "TargetName=" + TARGET, "SessionType=Normal",
                "AuthMethod=CHAP");
        op.recordDeclarations(security);
        assertThat(concat(sec.respond(security), op.anyStageDeclarations()))
                .isEqualTo(keys("AuthMethod=CHAP", "TargetPortalGroupTag=1"));

        List<TextKey> challenge = sec.respond(keys("CHAP_A=5"));
        assertThat(challenge).extracting(TextKey::name).containsExactly("CHAP_A", "CHAP_I", "CHAP_C");
        assertThat(challenge).extracting(TextKey::name).allMatch(OPEN_ISCSI_SECURITY_KEYS::contains);
        int id = Integer.parseInt(TextKeys.find(challenge, "CHAP_I").orElseThrow());
        byte[] targetChallenge = BinaryValues.decode("CHAP_C", TextKeys.find(challenge, "CHAP_C").orElseThrow());
        assertThat(targetChallenge).hasSize(16);

        // The initiator's side, as open-iscsi's acl_chap_compute_rsp does it, with its own challenge for the target.
        byte[] response = SecurityNegotiation.chapMd5Response(id, "client-secret-16".getBytes(), targetChallenge);
        byte[] initiatorChallenge = HexFormat.of().parseHex("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
        List<TextKey> proof = sec.respond(keys("CHAP_N=client-user", "CHAP_R=" + BinaryValues.encodeHex(response),
                "CHAP_I=200", "CHAP_C=" + BinaryValues.encodeHex(initiatorChallenge)));
        assertThat(proof).extracting(TextKey::name).containsExactly("CHAP_N", "CHAP_R");
        assertThat(TextKeys.find(proof, "CHAP_N")).contains("target-user");
        // open-iscsi's acl_chap_auth_request: MD5(id || password_in || challenge), 16 bytes.
        assertThat(BinaryValues.decode("CHAP_R", TextKeys.find(proof, "CHAP_R").orElseThrow()))
                .isEqualTo(SecurityNegotiation.chapMd5Response(200, "target-secret-16".getBytes(), initiatorChallenge));
        assertThat(sec.complete()).isTrue();

        List<TextKey> answer = concat(op.respond(keys("HeaderDigest=None", "DataDigest=None", "DefaultTime2Wait=2",
                "DefaultTime2Retain=0", "IFMarker=No", "OFMarker=No", "ErrorRecoveryLevel=0", "InitialR2T=No",
                "ImmediateData=Yes", "MaxBurstLength=16776192", "FirstBurstLength=262144", "MaxOutstandingR2T=1",
                "MaxConnections=1", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes",
                "MaxRecvDataSegmentLength=262144")), op.targetOffers());
        openIscsiAcceptsOperational(answer, true);
        assertThat(answer).doesNotContain(new TextKey("TargetPortalGroupTag", "1"));
    }

    @Test
    void openIscsiDiscoveryLogin() throws LoginException {
        // discovery.sendtargets.iscsi.MaxRecvDataSegmentLength = 32768 differs from 8192, so open-iscsi goes
        // through the operational stage; it offers no session keys on a Discovery session.
        List<TextKey> security = keys("InitiatorName=" + IQN, "InitiatorAlias=client", "SessionType=Discovery",
                "AuthMethod=None");
        assertThat(SessionType.of(security)).isEqualTo(SessionType.DISCOVERY);
        SecurityNegotiation sec = new SecurityNegotiation(null, new SplittableRandom(1));
        OperationalNegotiation op = new OperationalNegotiation(LIMITS, true);
        op.recordDeclarations(security);
        assertThat(concat(sec.respond(security), op.anyStageDeclarations())).isEqualTo(keys("AuthMethod=None"));

        List<TextKey> answer = concat(op.respond(keys("HeaderDigest=None", "DataDigest=None", "DefaultTime2Wait=2",
                "DefaultTime2Retain=0", "IFMarker=No", "OFMarker=No", "ErrorRecoveryLevel=0",
                "MaxRecvDataSegmentLength=32768")), op.targetOffers());
        assertThat(answer).isEqualTo(keys("HeaderDigest=None", "DataDigest=None", "DefaultTime2Wait=2",
                "DefaultTime2Retain=0", "IFMarker=Reject", "OFMarker=Reject", "ErrorRecoveryLevel=0",
                "MaxRecvDataSegmentLength=262144"));
        openIscsiAcceptsOperational(answer, false);
        assertThat(op.result().initiatorMaxRecvDataSegmentLength()).isEqualTo(32768);

        op.enterFullFeaturePhase();
        assertThat(op.respond(keys("SendTargets=All"))).as("answered by the caller from its targets").isEmpty();
    }

    @Test
    void openIscsiDiscoveryStraightToFullFeaturePhase() throws LoginException {
        // With the default digests and 8192 bytes, open-iscsi transits from the security stage to full feature
        // phase: no operational key travels, so both sides keep the RFC defaults.
        List<TextKey> security = keys("InitiatorName=" + IQN, "SessionType=Discovery", "AuthMethod=None");
        SecurityNegotiation sec = new SecurityNegotiation(null, new SplittableRandom(1));
        OperationalNegotiation op = new OperationalNegotiation(LIMITS, true);
        op.recordDeclarations(security);
        assertThat(sec.respond(security)).isEqualTo(keys("AuthMethod=None"));
        assertThat(sec.complete()).isTrue();
        op.enterFullFeaturePhase();
        assertThat(op.result()).isEqualTo(NegotiatedParameters.defaults());
    }

    private static List<TextKey> libiscsiOperational(String sessionType) {
        List<TextKey> keys = new ArrayList<>(keys("InitiatorName=iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-ls"));
        if (sessionType.equals("Normal")) {
            keys.add(new TextKey("TargetName", TARGET));
        }
        keys.addAll(keys("SessionType=" + sessionType, "HeaderDigest=None,CRC32C", "DataDigest=None",
                "InitialR2T=No", "ImmediateData=Yes", "MaxBurstLength=262144", "FirstBurstLength=262144",
                "DefaultTime2Wait=2", "DefaultTime2Retain=0", "MaxOutstandingR2T=1", "ErrorRecoveryLevel=0",
                "IFMarker=No", "OFMarker=No", "MaxConnections=1", "MaxRecvDataSegmentLength=262144",
                "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes"));
        return keys;
    }

    @Test
    void libiscsiNormalLoginWithoutAuthentication() throws LoginException {
        List<TextKey> request = libiscsiOperational("Normal");
        assertThat(SessionType.of(request)).isEqualTo(SessionType.NORMAL);
        OperationalNegotiation op = new OperationalNegotiation(LIMITS, false);
        List<TextKey> answer = concat(op.respond(request), op.targetOffers());
        assertThat(answer).isEqualTo(keys("HeaderDigest=None", "DataDigest=None", "InitialR2T=Yes",
                "ImmediateData=Yes", "MaxBurstLength=262144", "FirstBurstLength=65536", "DefaultTime2Wait=2",
                "DefaultTime2Retain=0", "MaxOutstandingR2T=1", "ErrorRecoveryLevel=0", "IFMarker=Reject",
                "OFMarker=Reject", "MaxConnections=1", "MaxRecvDataSegmentLength=262144", "DataPDUInOrder=Yes",
                "DataSequenceInOrder=Yes", "TargetPortalGroupTag=1"));
        assertThat(op.result()).isEqualTo(new NegotiatedParameters(false, false, 262144, 262144, 262144, 65536, true,
                true, 1, true, true, 0, 1, 2, 0));
        assertThat(op.sessionType()).contains(SessionType.NORMAL);
    }

    @Test
    void libiscsiDiscoveryLogin() throws LoginException {
        List<TextKey> request = libiscsiOperational("Discovery");
        assertThat(SessionType.of(request)).isEqualTo(SessionType.DISCOVERY);
        OperationalNegotiation op = new OperationalNegotiation(LIMITS, true);
        List<TextKey> answer = concat(op.respond(request), op.targetOffers());
        assertThat(answer).isEqualTo(keys("HeaderDigest=None", "DataDigest=None", "InitialR2T=Irrelevant",
                "ImmediateData=Irrelevant", "MaxBurstLength=Irrelevant", "FirstBurstLength=Irrelevant",
                "DefaultTime2Wait=2", "DefaultTime2Retain=0", "MaxOutstandingR2T=Irrelevant", "ErrorRecoveryLevel=0",
                "IFMarker=Reject", "OFMarker=Reject", "MaxConnections=Irrelevant", "MaxRecvDataSegmentLength=262144",
                "DataPDUInOrder=Irrelevant", "DataSequenceInOrder=Irrelevant"));
        assertThat(op.result().initiatorMaxRecvDataSegmentLength()).isEqualTo(262144);
        assertThat(op.result().maxBurstLength()).isEqualTo(262144);
    }

    @Test
    void libiscsiLoginWithMutualChap() throws LoginException {
        ChapCredential initiator = ChapCredential.of("libiscsi-user", "libiscsi-secret");
        ChapCredential target = ChapCredential.of("target-user", "target-secret-16");
        SecurityNegotiation sec = new SecurityNegotiation(new ChapSecrets(initiator, target), new SplittableRandom(3));
        OperationalNegotiation op = new OperationalNegotiation(LIMITS, false);

        List<TextKey> security = keys("InitiatorName=iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-ls",
                "TargetName=" + TARGET, "SessionType=Normal", "AuthMethod=CHAP,None");
        op.recordDeclarations(security);
        assertThat(concat(sec.respond(security), op.anyStageDeclarations()))
                .isEqualTo(keys("AuthMethod=CHAP", "TargetPortalGroupTag=1"));

        List<TextKey> challenge = sec.respond(keys("CHAP_A=5"));
        // libiscsi reads CHAP_I with atoi and only a "CHAP_C=0x" challenge
        assertThat(TextKeys.find(challenge, "CHAP_C").orElseThrow()).startsWith("0x");
        int id = Integer.parseInt(TextKeys.find(challenge, "CHAP_I").orElseThrow());
        byte[] targetChallenge = BinaryValues.decode("CHAP_C", TextKeys.find(challenge, "CHAP_C").orElseThrow());

        byte[] response = SecurityNegotiation.chapMd5Response(id, "libiscsi-secret".getBytes(), targetChallenge);
        byte[] initiatorChallenge = new byte[32]; // TARGET_CHAP_C_SIZE, sent in upper-case hex
        new SplittableRandom(9).nextBytes(initiatorChallenge);
        List<TextKey> proof = sec.respond(keys("CHAP_N=libiscsi-user",
                "CHAP_R=0x" + HexFormat.of().withUpperCase().formatHex(response), "CHAP_I=1",
                "CHAP_C=0x" + HexFormat.of().withUpperCase().formatHex(initiatorChallenge)));
        // libiscsi: CHAP_N must equal its target user, CHAP_R is "0x" and exactly 32 hex digits
        assertThat(TextKeys.find(proof, "CHAP_N")).contains("target-user");
        String targetResponse = TextKeys.find(proof, "CHAP_R").orElseThrow();
        assertThat(targetResponse).matches("0x[0-9a-fA-F]{32}");
        assertThat(BinaryValues.decode("CHAP_R", targetResponse))
                .isEqualTo(SecurityNegotiation.chapMd5Response(1, "target-secret-16".getBytes(), initiatorChallenge));
        assertThat(sec.complete()).isTrue();

        // The operational request then carries only the operational keys (the declarations went first).
        List<TextKey> all = libiscsiOperational("Normal");
        List<TextKey> operational = all.subList(3, all.size());
        assertThat(operational.getFirst().name()).isEqualTo("HeaderDigest");
        List<TextKey> answer = concat(op.respond(operational), op.targetOffers());
        assertThat(answer).contains(new TextKey("MaxRecvDataSegmentLength", "262144"))
                .doesNotContain(new TextKey("TargetPortalGroupTag", "1"));
        assertThat(op.result().firstBurstLength()).isEqualTo(65536);
    }
}
