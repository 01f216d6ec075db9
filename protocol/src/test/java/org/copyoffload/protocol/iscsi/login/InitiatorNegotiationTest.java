package org.copyoffload.protocol.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.protocol.iscsi.login.OperationalNegotiationTest.keys;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The initiator's side of operational negotiation: its proposals, the check of every answer against the key's
 * result function (RFC 7143, 6.2.2), counter-proposals, defaults, and agreement with the target's side
 * ({@link OperationalNegotiation}) for random offers and limits.
 */
class InitiatorNegotiationTest {

    private static InitiatorNegotiation normal() {
        return new InitiatorNegotiation(InitiatorOffer.defaults(), SessionType.NORMAL);
    }

    @Test
    void proposesEveryKeyOfSection13WithItsOwnDeclaration() {
        assertThat(normal().proposals()).containsExactlyElementsOf(keys("HeaderDigest=None", "DataDigest=None",
                "InitialR2T=No", "ImmediateData=Yes", "MaxBurstLength=16776192", "FirstBurstLength=262144",
                "MaxOutstandingR2T=8", "MaxConnections=1", "DefaultTime2Wait=2", "DefaultTime2Retain=0",
                "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes", "ErrorRecoveryLevel=0",
                "MaxRecvDataSegmentLength=262144"));
        InitiatorOffer digests = InitiatorOffer.defaults().withDigests(true, true);
        assertThat(new InitiatorNegotiation(digests, SessionType.DISCOVERY).proposals())
                .as("a Discovery session leaves out the keys that are Irrelevant there (RFC 7143, 13)")
                .containsExactlyElementsOf(keys("HeaderDigest=CRC32C,None", "DataDigest=CRC32C,None",
                        "DefaultTime2Wait=2", "DefaultTime2Retain=0", "ErrorRecoveryLevel=0",
                        "MaxRecvDataSegmentLength=262144"));
    }

    @Test
    void answersWithinTheResultFunctionsAreTheResult() {
        InitiatorNegotiation n = new InitiatorNegotiation(InitiatorOffer.defaults().withDigests(true, false),
                SessionType.NORMAL);
        assertThat(n.accept(keys("TargetPortalGroupTag=3", "TargetAlias=disk", "HeaderDigest=CRC32C",
                "DataDigest=None", "InitialR2T=Yes", "ImmediateData=No", "MaxBurstLength=65536",
                "FirstBurstLength=131072", "MaxOutstandingR2T=2", "MaxConnections=1", "DefaultTime2Wait=5",
                "DefaultTime2Retain=0", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes", "ErrorRecoveryLevel=0",
                "MaxRecvDataSegmentLength=4096"))).isEmpty();
        NegotiatedParameters p = n.result();
        assertThat(p).isEqualTo(new NegotiatedParameters(true, false, 262144, 4096, 65536,
                65536 /* capped by MaxBurstLength, 13.14 */, true, false, 2, true, true, 0, 1, 5, 0));
        assertThat(n.targetAlias()).contains("disk");
        assertThat(n.targetPortalGroupTag()).isEqualTo(3);
    }

    @Test
    void unansweredKeysKeepTheirDefaultsUnlessTheOfferDecides() {
        NegotiatedParameters p = normal().result();
        NegotiatedParameters d = NegotiatedParameters.defaults();
        // ImmediateData=Yes and InitialR2T=No decide nothing alone (AND with Yes, OR with No): the defaults stay.
        assertThat(p.initialR2T()).isEqualTo(d.initialR2T());
        assertThat(p.immediateData()).isEqualTo(d.immediateData());
        assertThat(p.maxBurstLength()).isEqualTo(d.maxBurstLength());
        assertThat(p.targetMaxRecvDataSegmentLength()).isEqualTo(8192);
        InitiatorNegotiation no = new InitiatorNegotiation(InitiatorOffer.defaults().withDataFlow(true, false, 1),
                SessionType.NORMAL);
        // 6.2.2: OR with Yes and AND with No are decided by the offer; the acceptor may leave the answer out.
        assertThat(no.result().initialR2T()).isTrue();
        assertThat(no.result().immediateData()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Reject", "Irrelevant", "NotUnderstood"})
    void aReservedAnswerLeavesTheDefault(String answer) {
        InitiatorNegotiation n = normal();
        n.accept(keys("MaxBurstLength=" + answer, "FirstBurstLength=" + answer));
        assertThat(n.result().maxBurstLength()).isEqualTo(262144);
        assertThat(n.result().firstBurstLength()).isEqualTo(65536);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "MaxBurstLength=16776193|MINIMUM",                // above the offer
            "DefaultTime2Wait=1|MAXIMUM",                      // below the offer
            "InitialR2T=No|not a number|",                     // placeholder replaced below
            "ImmediateData=Maybe|neither Yes nor No",
            "HeaderDigest=CRC32C|not one of the values offered",
            "MaxOutstandingR2T=0|not a number from 1 to 65535",
            "MaxRecvDataSegmentLength=100|not a number from 512",
            "ErrorRecoveryLevel=3|not a number from 0 to 2",
            "DataPDUInOrder=No|OR"})
    void answersNoResultFunctionCanGiveAreRefused(String pair, String message) {
        if (pair.equals("InitialR2T=No")) {
            // OR of our No and any value of the target is that value: No is a valid answer.
            InitiatorNegotiation n = normal();
            n.accept(keys(pair));
            assertThat(n.result().initialR2T()).isFalse();
            return;
        }
        assertThatThrownBy(() -> normal().accept(keys(pair))).isInstanceOf(IscsiTextException.class)
                .hasMessageContaining(pair).hasMessageContaining(message);
    }

    @Test
    void aKeyAnsweredTwiceIsRefused() {
        InitiatorNegotiation n = normal();
        n.accept(keys("MaxBurstLength=65536"));
        assertThatThrownBy(() -> n.accept(keys("MaxBurstLength=65536"))).isInstanceOf(IscsiTextException.class)
                .hasMessageContaining("twice");
    }

    @Test
    void keysTheTargetProposesAreAnswered() {
        InitiatorNegotiation n = new InitiatorNegotiation(InitiatorOffer.defaults(), SessionType.DISCOVERY);
        // In a Discovery session we propose no data-transfer key; one the target proposes is Irrelevant there. Keys
        // we do not know are NotUnderstood (6.2); security keys and reserved answers need no answer.
        assertThat(n.accept(keys("MaxOutstandingR2T=4", "X-com.example.key=1", "OFMarker=No", "AuthMethod=None",
                "MaxConnections=Reject")))
                .isEqualTo(keys("MaxOutstandingR2T=Irrelevant", "X-com.example.key=NotUnderstood",
                        "OFMarker=NotUnderstood"));
        assertThat(n.result().maxOutstandingR2T()).isEqualTo(1);
    }

    /**
     * Both sides of the protocol module agree: for random offers and target limits, what the target's
     * {@link OperationalNegotiation} answers passes the initiator's checks, and both compute the same result.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void bothSidesAgreeOnTheResult(long seed) throws LoginException {
        SplittableRandom r = new SplittableRandom(seed);
        int maxBurst = r.nextInt(512, 1 << 24);
        InitiatorOffer offer = new InitiatorOffer(r.nextBoolean(), r.nextBoolean(), r.nextInt(512, 1 << 24), maxBurst,
                r.nextInt(512, maxBurst + 1), r.nextBoolean(), r.nextBoolean(), r.nextInt(1, 65536), r.nextInt(0, 3601),
                r.nextInt(0, 3601));
        int targetBurst = r.nextInt(512, 1 << 24);
        TargetLimits limits = new TargetLimits(r.nextBoolean(), r.nextBoolean(), r.nextInt(512, 1 << 24), targetBurst,
                r.nextInt(512, targetBurst + 1), r.nextInt(1, 65536), r.nextBoolean(), r.nextBoolean(),
                r.nextInt(1, 65536), r.nextInt(0, 3601), r.nextInt(0, 3601), 0, null, r.nextInt(0, 65536));
        InitiatorNegotiation initiator = new InitiatorNegotiation(offer, SessionType.NORMAL);
        OperationalNegotiation target = new OperationalNegotiation(limits, false);
        List<TextKey> request = new ArrayList<>(keys("InitiatorName=iqn.2026-01.org.example:i", "SessionType=Normal",
                "TargetName=iqn.2026-01.org.example:t"));
        request.addAll(initiator.proposals());
        List<TextKey> answer = new ArrayList<>(target.respond(request));
        answer.addAll(target.targetOffers());
        assertThat(initiator.accept(answer)).isEmpty();
        NegotiatedParameters i = initiator.result();
        NegotiatedParameters t = target.result();
        assertThat(i).isEqualTo(t);
    }
}
