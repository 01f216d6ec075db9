package org.copyoffload.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.copyoffload.protocol.nvme.auth.AuthFailureReason;
import org.copyoffload.protocol.nvme.auth.AuthMessage;
import org.copyoffload.protocol.nvme.auth.AuthenticationCommand;
import org.copyoffload.protocol.nvme.auth.DhGroup;
import org.copyoffload.protocol.nvme.auth.DhKeyExchange;
import org.copyoffload.protocol.nvme.auth.DhchapHash;
import org.copyoffload.protocol.nvme.auth.DhchapResponses;
import org.copyoffload.protocol.nvme.auth.DhchapSecret;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.nvme.CommandResult;
import org.copyoffload.server.nvme.QueueAuthentication;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The controller's DH-HMAC-CHAP state machine against a model, seeded: a host runs transactions one after another,
 * each either correct (one way or both ways) or with one fault (a wrong response, a wrong T_ID, a message out of
 * order, garbage, a Receive too many, AUTH_Failure2, an abandoned transaction restarted by AUTH_Negotiate). The model:
 * the queue is authenticated after a correct transaction and not after a faulty one; an abandoned transaction
 * changes nothing; a fault makes the next Receive return AUTH_Failure1 with the explanation the fault calls for.
 */
class QueueAuthenticationPropertiesTest {
    private static final String HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000000e1";
    private static final String SUBNQN = "nqn.2026-01.org.copyoffload:model";
    private static final DhchapSecret SECRET = DhchapSecret.generate(DhchapHash.SHA_384, new SecureRandom());
    private static final DhchapSecret CTRL = DhchapSecret.generate(null, new SecureRandom());

    private enum Fault { NONE, WRONG_RESPONSE, WRONG_TID, REPLY_TWICE, SUCCESS2_FIRST, GARBAGE, EXTRA_RECEIVE, FAILURE2, RESTART }

    private final List<Boolean> outcomes = new ArrayList<>();
    private QueueAuthentication auth;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void transactionsAgainstTheModel(long seed) {
        Random random = new Random(seed);
        auth = new QueueAuthentication(new ServerConfig.HostSecrets(SECRET, CTRL), ServerConfig.Dhchap.DEFAULT, HOSTNQN,
                SUBNQN, 0, (success, reason) -> outcomes.add(success), Runnable::run);
        boolean modelAuthenticated = false;
        for (int i = 0; i < 25; i++) {
            Fault fault = random.nextInt(3) == 0 ? Fault.NONE : Fault.values()[random.nextInt(Fault.values().length)];
            boolean bidirectional = random.nextBoolean();
            // Mostly the NULL group (fast); now and then ffdhe2048 so the DH path is in the model too.
            DhGroup group = random.nextInt(6) == 0 ? DhGroup.FFDHE2048 : DhGroup.NULL;
            int tid = random.nextInt(0x10000);
            AuthFailureReason expected = transaction(random, tid, group, bidirectional, fault);
            String what = "seed " + seed + " step " + i + " " + fault + (bidirectional ? " both ways " : " ") + group;
            if (fault == Fault.NONE || fault == Fault.RESTART) {
                // RESTART abandons a transaction and completes a clean one.
                modelAuthenticated = true;
                assertThat(outcomes.getLast()).as(what).isTrue();
            } else {
                modelAuthenticated = false;
                if (expected != null) {
                    AuthMessage m = receive();
                    assertThat(m).as(what).isInstanceOf(AuthMessage.Failure.class);
                    assertThat(((AuthMessage.Failure) m).reason()).as(what).contains(expected);
                }
            }
            assertThat(auth.authenticated()).as(what).isEqualTo(modelAuthenticated);
        }
    }

    /** One transaction; returns the explanation the next Receive must carry, or null if none is due. */
    private AuthFailureReason transaction(Random random, int tid, DhGroup group, boolean bidirectional, Fault fault) {
        send(new AuthMessage.Negotiate(tid, 0, List.of(new AuthMessage.DhchapDescriptor(List.of(2), List.of(group.id())))));
        if (fault == Fault.SUCCESS2_FIRST) {
            send(new AuthMessage.Success2(tid));
            return AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE;
        }
        AuthMessage.Challenge challenge = (AuthMessage.Challenge) receive();
        assertThat(challenge.hash()).isEqualTo(DhchapHash.SHA_384);
        assertThat(challenge.dhGroup()).isEqualTo(group);
        if (fault == Fault.RESTART) {
            // The host starts over: the abandoned transaction changes nothing, the new one is clean.
            AuthFailureReason none = transaction(random, (tid + 1) & 0xFFFF, group, bidirectional, Fault.NONE);
            assertThat(none).isNull();
            return null;
        }
        if (fault == Fault.GARBAGE) {
            byte[] junk = new byte[16 + random.nextInt(64)];
            random.nextBytes(junk);
            junk[0] = 1;
            junk[1] = 2;
            junk[6] = 7; // HL 7: no hash is 7 bytes long
            sendRaw(junk);
            return AuthFailureReason.INCORRECT_PAYLOAD;
        }
        byte[] sessionKey = null;
        byte[] dhValue = new byte[0];
        if (group != DhGroup.NULL) {
            DhKeyExchange keys = new DhKeyExchange(group, new SecureRandom());
            sessionKey = keys.sessionKey(challenge.dhValue());
            dhValue = keys.publicValue();
        }
        byte[] c1 = sessionKey == null ? challenge.challenge()
                : DhchapResponses.augmentedChallenge(DhchapHash.SHA_384, sessionKey, challenge.challenge());
        byte[] r1 = DhchapResponses.hostResponse(DhchapHash.SHA_384, SECRET.transform(HOSTNQN), c1, challenge.seqnum(), tid, 0,
                HOSTNQN, SUBNQN);
        if (fault == Fault.WRONG_RESPONSE) {
            r1[random.nextInt(r1.length)] ^= (byte) (1 << random.nextInt(8));
        }
        byte[] c2 = null;
        int s2 = 0;
        if (bidirectional) {
            c2 = new byte[48];
            random.nextBytes(c2);
            s2 = random.nextInt() | 1;
        }
        send(new AuthMessage.Reply(fault == Fault.WRONG_TID ? (tid + 1) & 0xFFFF : tid, r1, c2, s2, dhValue));
        switch (fault) {
            case WRONG_RESPONSE -> {
                return AuthFailureReason.AUTHENTICATION_FAILED;
            }
            case WRONG_TID -> {
                return AuthFailureReason.INCORRECT_PAYLOAD;
            }
            case REPLY_TWICE -> {
                send(new AuthMessage.Reply(tid, r1, c2, s2, dhValue));
                return AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE;
            }
            default -> { }
        }
        AuthMessage.Success1 success1 = (AuthMessage.Success1) receive();
        assertThat(success1.responseValid()).isEqualTo(bidirectional);
        if (bidirectional) {
            byte[] c2a = sessionKey == null ? c2 : DhchapResponses.augmentedChallenge(DhchapHash.SHA_384, sessionKey, c2);
            assertThat(success1.response()).isEqualTo(DhchapResponses.controllerResponse(DhchapHash.SHA_384,
                    CTRL.transform(SUBNQN), c2a, s2, tid, 0, SUBNQN, HOSTNQN));
            if (fault == Fault.FAILURE2) {
                send(AuthMessage.Failure.failure2(tid, AuthFailureReason.AUTHENTICATION_FAILED));
                return null;
            }
            send(new AuthMessage.Success2(tid));
        } else if (fault == Fault.FAILURE2) {
            // One way, the transaction is over at Success1: an AUTH_Failure2 now still withdraws the authentication.
            send(AuthMessage.Failure.failure2(tid, AuthFailureReason.AUTHENTICATION_FAILED));
            return null;
        }
        if (fault == Fault.EXTRA_RECEIVE) {
            return AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE;
        }
        return null;
    }

    private void send(AuthMessage m) {
        sendRaw(AuthMessage.toBytes(m));
    }

    private void sendRaw(byte[] bytes) {
        ByteBuf data = Unpooled.wrappedBuffer(bytes);
        try {
            CommandResult r = auth.send(AuthenticationCommand.dhchap(true, bytes.length), data).join();
            assertThat(r.status().isSuccess()).isTrue();
        } finally {
            data.release();
        }
    }

    private AuthMessage receive() {
        CommandResult r = auth.receive(AuthenticationCommand.dhchap(false, 4096), 4096, ByteBufAllocator.DEFAULT).join();
        assertThat(r.status().isSuccess()).isTrue();
        try {
            return AuthMessage.decode(r.data());
        } finally {
            r.release();
        }
    }
}
