package org.copyoffload.initiator.nvme;

import io.netty.buffer.ByteBuf;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.copyoffload.protocol.nvme.ProtocolFieldException;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.auth.AuthFailureReason;
import org.copyoffload.protocol.nvme.auth.AuthMessage;
import org.copyoffload.protocol.nvme.auth.AuthenticationCommand;
import org.copyoffload.protocol.nvme.auth.DhGroup;
import org.copyoffload.protocol.nvme.auth.DhKeyExchange;
import org.copyoffload.protocol.nvme.auth.DhchapHash;
import org.copyoffload.protocol.nvme.auth.DhchapResponses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's side of one DH-HMAC-CHAP transaction on one queue (NVMe Base 2.1, 8.3.4.5), in Linux's order:
 * AUTH_Negotiate, receive DH-HMAC-CHAP_Challenge, DH-HMAC-CHAP_Reply (with a challenge of its own when it has the
 * controller's secret), receive DH-HMAC-CHAP_Success1, and for bidirectional authentication check the controller's
 * response and send DH-HMAC-CHAP_Success2 (or AUTH_Failure2 when it does not verify).
 */
final class HostAuthentication {
    private static final Logger log = LoggerFactory.getLogger(HostAuthentication.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Linux reads every controller message into a 4 KiB buffer (CHAP_BUF_SIZE); the largest Challenge is 1104 bytes. */
    static final int RECEIVE_LENGTH = 4096;
    private static final AtomicInteger TRANSACTIONS = new AtomicInteger(RANDOM.nextInt(0x10000));

    private final NvmeTcpQueue queue;
    private final DhchapCredentials credentials;
    private final String hostNqn;
    private final String subsystemNqn;
    private final Duration timeout;

    HostAuthentication(NvmeTcpQueue queue, DhchapCredentials credentials, String hostNqn, String subsystemNqn,
                       Duration timeout) {
        this.queue = queue;
        this.credentials = credentials;
        this.hostNqn = hostNqn;
        this.subsystemNqn = subsystemNqn;
        this.timeout = timeout;
    }

    /** Runs the transaction; returns normally when the queue is authenticated. */
    void run() {
        int tid = TRANSACTIONS.getAndIncrement() & 0xFFFF;
        send(new AuthMessage.Negotiate(tid, AuthMessage.SC_C_NONE, List.of(new AuthMessage.DhchapDescriptor(
                credentials.hashes().stream().map(DhchapHash::id).toList(),
                credentials.dhGroups().stream().map(DhGroup::id).toList()))));
        AuthMessage.Challenge challenge = receive(AuthMessage.Challenge.class, tid);
        if (!credentials.hashes().contains(challenge.hash())) {
            throw refuse(tid, AuthFailureReason.HASH_FUNCTION_NOT_USABLE, "the controller chose " + challenge.hash()
                    + ", which this host did not offer");
        }
        if (!credentials.dhGroups().contains(challenge.dhGroup())) {
            throw refuse(tid, AuthFailureReason.DH_GROUP_NOT_USABLE, "the controller chose " + challenge.dhGroup()
                    + ", which this host did not offer");
        }
        DhchapHash hash = challenge.hash();
        byte[] sessionKey = null;
        byte[] dhValue = new byte[0];
        if (challenge.dhGroup() != DhGroup.NULL) {
            DhKeyExchange exchange = new DhKeyExchange(challenge.dhGroup(), RANDOM);
            try {
                sessionKey = exchange.sessionKey(challenge.dhValue());
            } catch (IllegalArgumentException e) {
                throw refuse(tid, AuthFailureReason.DH_GROUP_NOT_USABLE, "the controller's DH value: " + e.getMessage());
            }
            dhValue = exchange.publicValue();
        }
        byte[] c1 = sessionKey == null ? challenge.challenge()
                : DhchapResponses.augmentedChallenge(hash, sessionKey, challenge.challenge());
        byte[] response = DhchapResponses.hostResponse(hash, credentials.secret().transform(hostNqn), c1,
                challenge.seqnum(), tid, AuthMessage.SC_C_NONE, hostNqn, subsystemNqn);
        byte[] c2 = null;
        int s2 = 0;
        if (credentials.controllerSecret() != null) {
            c2 = new byte[hash.length()];
            RANDOM.nextBytes(c2);
            do {
                s2 = RANDOM.nextInt();
            } while (s2 == 0);
        }
        send(new AuthMessage.Reply(tid, response, c2, s2, dhValue));
        AuthMessage.Success1 success1 = receive(AuthMessage.Success1.class, tid);
        if (c2 == null) {
            log.debug("queue {}: authenticated with {} and {}", queue.qid(), hash, challenge.dhGroup());
            return;
        }
        byte[] expected = DhchapResponses.controllerResponse(hash, credentials.controllerSecret().transform(subsystemNqn),
                sessionKey == null ? c2 : DhchapResponses.augmentedChallenge(hash, sessionKey, c2), s2, tid,
                AuthMessage.SC_C_NONE, subsystemNqn, hostNqn);
        if (!success1.responseValid() || !MessageDigest.isEqual(expected, success1.response())) {
            throw refuse(tid, AuthFailureReason.AUTHENTICATION_FAILED, success1.responseValid()
                    ? "the controller's response does not match its secret" : "the controller sent no response");
        }
        send(new AuthMessage.Success2(tid));
        log.debug("queue {}: authenticated both ways with {} and {}", queue.qid(), hash, challenge.dhGroup());
    }

    private void send(AuthMessage m) {
        ByteBuf data = queue.channel().alloc().buffer(m.size());
        m.encode(data);
        try (Completion c = Futures.await(queue.submit(AuthenticationCommand.dhchap(true, m.size()).toSqe(0, SglDescriptor.transport(0)), data, 0),
                timeout, "queue " + queue.qid() + " Authentication Send")) {
            if (!c.isSuccess()) {
                throw new NvmeStatusException("Authentication Send (" + m.getClass().getSimpleName() + ")", c.cqe());
            }
        }
    }

    /** Receives the expected message; AUTH_Failure1 becomes a {@link DhchapFailureException}. */
    private <T extends AuthMessage> T receive(Class<T> expected, int tid) {
        AuthMessage m;
        try (Completion c = Futures.await(queue.submit(AuthenticationCommand.dhchap(false, RECEIVE_LENGTH).toSqe(0, SglDescriptor.transport(0)),
                null, RECEIVE_LENGTH), timeout, "queue " + queue.qid() + " Authentication Receive")) {
            if (!c.isSuccess()) {
                throw new NvmeStatusException("Authentication Receive (" + expected.getSimpleName() + ")", c.cqe());
            }
            if (c.data() == null) {
                throw refuse(tid, AuthFailureReason.INCORRECT_PAYLOAD, "the controller returned no message");
            }
            try {
                m = AuthMessage.decode(c.data());
            } catch (ProtocolFieldException e) {
                throw refuse(tid, e.field().startsWith("AUTH_") ? AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE
                        : AuthFailureReason.INCORRECT_PAYLOAD, "the controller's message: " + e.getMessage());
            }
        }
        if (m instanceof AuthMessage.Failure f && f.failure1()) {
            throw new DhchapFailureException("queue " + queue.qid() + ": the controller refused authentication: "
                    + f.describeReason(), f.explanation(), true);
        }
        if (!expected.isInstance(m)) {
            throw refuse(tid, AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE, "expected " + expected.getSimpleName()
                    + ", the controller sent " + m.getClass().getSimpleName());
        }
        if (m.tid() != tid) {
            throw refuse(tid, AuthFailureReason.INCORRECT_PAYLOAD, "T_ID " + m.tid() + ", expected " + tid);
        }
        return expected.cast(m);
    }

    /** Tells the controller with AUTH_Failure2 and returns the exception to throw. */
    private DhchapFailureException refuse(int tid, AuthFailureReason reason, String why) {
        try {
            send(AuthMessage.Failure.failure2(tid, reason));
        } catch (RuntimeException e) {
            log.debug("queue {}: AUTH_Failure2 not delivered: {}", queue.qid(), e.toString());
        }
        return new DhchapFailureException("queue " + queue.qid() + ": this host refused the controller: " + why + " ("
                + reason.description() + ")", reason.code(), false);
    }
}
