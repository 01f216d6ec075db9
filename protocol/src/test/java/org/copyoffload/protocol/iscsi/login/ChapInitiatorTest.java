package org.copyoffload.protocol.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.protocol.iscsi.login.OperationalNegotiationTest.keys;

import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The initiator's side of the security stage against the target's ({@link SecurityNegotiation}): None, one-way and
 * mutual CHAP end to end, the known MD5 vector, and every way a target's answer is refused.
 */
class ChapInitiatorTest {
    private static final ChapCredential ALICE = ChapCredential.of("alice", "alicesecret12");
    private static final ChapCredential TARGET = ChapCredential.of("target", "targetsecret1");

    /** Runs the stage between the two sides; returns the target, so the caller can check it is done. */
    private static SecurityNegotiation run(ChapInitiator initiator, ChapSecrets secrets) throws LoginException {
        SecurityNegotiation target = new SecurityNegotiation(secrets, new SplittableRandom(7));
        List<TextKey> request = initiator.first();
        for (int i = 0; i < 5 && !request.isEmpty(); i++) {
            List<TextKey> answer = target.respond(request);
            request = initiator.accept(answer);
        }
        return target;
    }

    @Test
    void noneWithoutACredential() throws LoginException {
        ChapInitiator i = new ChapInitiator(null, null, new SplittableRandom(1));
        assertThat(i.first()).isEqualTo(keys("AuthMethod=None"));
        assertThat(i.mayTransit()).isTrue();
        assertThat(i.accept(keys("AuthMethod=None"))).isEmpty();
        assertThat(i.complete()).isTrue();
    }

    @Test
    void oneWayChapAuthenticatesTheInitiator() throws LoginException {
        ChapInitiator i = new ChapInitiator(ALICE, null, new SplittableRandom(1));
        SecurityNegotiation t = run(i, ChapSecrets.oneWay(ALICE));
        assertThat(i.complete()).isTrue();
        assertThat(t.complete()).isTrue();
    }

    @Test
    void mutualChapAuthenticatesBothSides() throws LoginException {
        ChapInitiator i = new ChapInitiator(ALICE, TARGET, new SplittableRandom(1));
        SecurityNegotiation t = run(i, new ChapSecrets(ALICE, TARGET));
        assertThat(i.complete()).isTrue();
        assertThat(t.complete()).isTrue();
    }

    @Test
    void theResponseIsRfc1994Md5() throws LoginException {
        ChapInitiator i = new ChapInitiator(ChapCredential.of("iqn.1994-05.com.redhat:host", "secretsecret"), null,
                new SplittableRandom(1));
        i.first();
        assertThat(i.accept(keys("AuthMethod=CHAP"))).isEqualTo(keys("CHAP_A=5"));
        assertThat(i.mayTransit()).isFalse();
        // MD5(0x01 || "secretsecret" || 00..0f), as in SecurityNegotiationTest.
        assertThat(i.accept(keys("CHAP_A=5", "CHAP_I=1", "CHAP_C=0x000102030405060708090a0b0c0d0e0f")))
                .isEqualTo(keys("CHAP_N=iqn.1994-05.com.redhat:host", "CHAP_R=0x226dc576c33f04ff9c3a200ffe35f442"));
        assertThat(i.complete()).isTrue();
    }

    @Test
    void aTargetWithTheWrongMutualSecretIsRefused() {
        ChapInitiator i = new ChapInitiator(ALICE, TARGET, new SplittableRandom(1));
        ChapSecrets impostor = new ChapSecrets(ALICE, ChapCredential.of("target", "notthesecret"));
        assertThatThrownBy(() -> run(i, impostor)).isInstanceOfSatisfying(LoginException.class, e -> {
            assertThat(e.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
            assertThat(e).hasMessageContaining("CHAP_R of the target");
        });
        assertThat(i.complete()).isFalse();
    }

    @Test
    void answersOutsideTheSequenceAreRefused() throws LoginException {
        ChapInitiator i = new ChapInitiator(ALICE, null, new SplittableRandom(1));
        i.first();
        assertThatThrownBy(() -> i.accept(keys("AuthMethod=None"))).isInstanceOf(LoginException.class)
                .hasMessageContaining("answers an offer of CHAP");
        ChapInitiator md5 = new ChapInitiator(ALICE, null, new SplittableRandom(1));
        md5.first();
        md5.accept(keys("AuthMethod=CHAP"));
        assertThatThrownBy(() -> md5.accept(keys("CHAP_A=7", "CHAP_I=1", "CHAP_C=0x00")))
                .hasMessageContaining("CHAP_A=7");
        ChapInitiator missing = new ChapInitiator(ALICE, null, new SplittableRandom(1));
        missing.first();
        missing.accept(keys("AuthMethod=CHAP"));
        assertThatThrownBy(() -> missing.accept(keys("CHAP_A=5", "CHAP_I=1"))).hasMessageContaining("CHAP_C");
        ChapInitiator badId = new ChapInitiator(ALICE, null, new SplittableRandom(1));
        badId.first();
        badId.accept(keys("AuthMethod=CHAP"));
        assertThatThrownBy(() -> badId.accept(keys("CHAP_A=5", "CHAP_I=256", "CHAP_C=0x00")))
                .hasMessageContaining("CHAP_I=256");
    }

    @Test
    void theMutualChallengeIsNeverTheTargetsOwn() throws LoginException {
        byte[] fixed = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
        ChapInitiator i = new ChapInitiator(ALICE, TARGET, SecurityNegotiationTest.fixed());
        i.first();
        i.accept(keys("AuthMethod=CHAP"));
        // The fixed generator hands out the target's challenge again; the initiator must not send it back.
        String theirs = "0x" + HexFormat.of().formatHex(fixed);
        List<TextKey> answer = i.accept(keys("CHAP_A=5", "CHAP_I=1", "CHAP_C=" + theirs));
        assertThat(TextKeys.find(answer, "CHAP_C")).isPresent().get().isNotEqualTo(theirs);
    }

    @Test
    void sameSecretBothWaysIsRefused() {
        assertThatThrownBy(() -> new ChapInitiator(ALICE, ChapCredential.of("t", "alicesecret12"), new SplittableRandom()))
                .hasMessageContaining("different");
        assertThatThrownBy(() -> new ChapInitiator(null, TARGET, new SplittableRandom()))
                .hasMessageContaining("mutual");
    }
}
