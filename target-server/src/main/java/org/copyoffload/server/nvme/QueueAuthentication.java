package org.copyoffload.server.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.copyoffload.protocol.nvme.ProtocolFieldException;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.auth.AuthFailureReason;
import org.copyoffload.protocol.nvme.auth.AuthMessage;
import org.copyoffload.protocol.nvme.auth.AuthenticationCommand;
import org.copyoffload.protocol.nvme.auth.DhGroup;
import org.copyoffload.protocol.nvme.auth.DhKeyExchange;
import org.copyoffload.protocol.nvme.auth.DhchapHash;
import org.copyoffload.protocol.nvme.auth.DhchapResponses;
import org.copyoffload.server.config.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's side of DH-HMAC-CHAP on one queue (NVMe Base 2.1, 8.3.4.5): Authentication Send carries
 * AUTH_Negotiate, DH-HMAC-CHAP_Reply, _Success2 or AUTH_Failure2 in; Authentication Receive returns
 * DH-HMAC-CHAP_Challenge, _Success1 or AUTH_Failure1. A protocol failure does not fail the command: it is reported
 * by the AUTH_Failure1 the next Authentication Receive returns (as Linux's nvmet does), and the queue stays
 * unauthenticated. A new AUTH_Negotiate starts a new transaction at any time (re-authentication); a queue that was
 * authenticated stays so unless that transaction fails. The DH computations (up to 8192-bit exponentiations) run on a
 * small pool of their own, not on the queue's event loop, so a host cannot stall other connections with them. Not
 * thread-safe: the queue's event loop calls it, and the DH results come back to that loop.
 */
public final class QueueAuthentication {
    private static final Logger log = LoggerFactory.getLogger(QueueAuthentication.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The largest message a host sends: AUTH_Negotiate with 255 descriptors. */
    public static final int MAX_SEND_LENGTH = AuthMessage.NEGOTIATE_HEADER + 255 * AuthMessage.DESCRIPTOR_SIZE;

    /** Told when a transaction ends, for metrics and logs. */
    public interface Outcome {
        void finished(boolean success, AuthFailureReason reason);
    }

    /** What the controller waits for next; BUSY while a DH computation runs. */
    private enum Step { NEGOTIATE, CHALLENGE, REPLY, SUCCESS1, SUCCESS2, FAILURE1, BUSY }

    /** Two threads for the DH work of all queues; beyond 256 waiting, a command is interrupted (the host may retry). */
    private static final ThreadPoolExecutor DH_POOL = dhPool();

    private static ThreadPoolExecutor dhPool() {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256), r -> {
            Thread t = new Thread(r, "dhchap-dh-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private final ServerConfig.HostSecrets secrets;
    private final ServerConfig.Dhchap policy;
    private final String hostNqn;
    private final String subsystemNqn;
    private final int qid;
    private final Outcome outcome;
    private final Executor loop;

    private Step step = Step.NEGOTIATE;
    private boolean authenticated;
    private int tid;
    private DhchapHash hash;
    private DhGroup group;
    private DhKeyExchange exchange;
    private int s1;
    private byte[] c1;
    private byte[] sessionKey;
    private byte[] controllerResponse;
    private AuthFailureReason failure;
    /** Changes whenever a transaction starts or fails, so that a DH result of an abandoned one is dropped. */
    private int generation;

    public QueueAuthentication(ServerConfig.HostSecrets secrets, ServerConfig.Dhchap policy, String hostNqn,
                               String subsystemNqn, int qid, Outcome outcome, Executor loop) {
        this.secrets = secrets;
        this.policy = policy;
        this.hostNqn = hostNqn;
        this.subsystemNqn = subsystemNqn;
        this.qid = qid;
        this.outcome = outcome;
        this.loop = loop;
    }

    /** Whether commands other than Authentication Send/Receive and Disconnect may run on the queue. */
    public boolean authenticated() {
        return authenticated;
    }

    /** Authentication Send: {@code data} holds TL bytes; the caller keeps (and releases) it. */
    public CompletableFuture<CommandResult> send(AuthenticationCommand cmd, ByteBuf data) {
        checkCommand(cmd);
        if (data == null || cmd.length() > MAX_SEND_LENGTH || data.readableBytes() != cmd.length()) {
            throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND.dnr(), AuthenticationCommand.OFFSET_LENGTH,
                    "TL " + cmd.length() + " with " + (data == null ? 0 : data.readableBytes()) + " bytes of data (at most "
                            + MAX_SEND_LENGTH + ")");
        }
        AuthMessage message;
        try {
            message = AuthMessage.decode(data);
        } catch (ProtocolFieldException e) {
            log.debug("queue {}: undecodable authentication message: {}", qid, e.getMessage());
            boolean wrongMessage = e.field().equals("AUTH_TYPE") || e.field().equals("AUTH_ID");
            fail(wrongMessage ? AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE : AuthFailureReason.INCORRECT_PAYLOAD);
            return DONE;
        }
        switch (message) {
            case AuthMessage.Negotiate n -> negotiate(n);
            case AuthMessage.Reply r -> {
                if (expect(Step.REPLY, r)) {
                    return reply(r);
                }
            }
            case AuthMessage.Success2 s -> {
                if (expect(Step.SUCCESS2, s)) {
                    succeed();
                }
            }
            case AuthMessage.Failure f when !f.failure1() -> {
                // The host gave up (e.g. the controller's response did not verify): the queue is not authenticated.
                log.info("queue {}: host {} ended authentication: {}", qid, hostNqn, f.describeReason());
                authenticated = false;
                clear();
                generation++;
                step = Step.NEGOTIATE;
                outcome.finished(false, f.reason().orElse(AuthFailureReason.AUTHENTICATION_FAILED));
            }
            default -> fail(AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE);
        }
        return DONE;
    }

    private static final CompletableFuture<CommandResult> DONE = CompletableFuture.completedFuture(CommandResult.SUCCESS);

    /** Authentication Receive: the message the current step calls for, in at most AL bytes. */
    public CompletableFuture<CommandResult> receive(AuthenticationCommand cmd, long hostBufferLength, ByteBufAllocator alloc) {
        checkCommand(cmd);
        if (cmd.length() == 0 || cmd.length() != hostBufferLength) {
            throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND.dnr(), AuthenticationCommand.OFFSET_LENGTH,
                    "AL " + cmd.length() + " with a host buffer of " + hostBufferLength + " bytes");
        }
        if (step == Step.CHALLENGE && group != DhGroup.NULL) {
            long al = cmd.length();
            int needed = AuthMessage.DHCHAP_HEADER + hash.length() + group.valueLength();
            if (needed > al) {
                throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND.dnr(), AuthenticationCommand.OFFSET_LENGTH,
                        "AL " + al + " is less than the " + needed + " bytes of the message");
            }
            int g = generation;
            DhGroup dhGroup = group;
            step = Step.BUSY;
            return offload(() -> new DhKeyExchange(dhGroup, RANDOM)).thenApplyAsync(keys -> {
                if (g != generation) {
                    throw new NvmeCommandException(StatusCode.COMMAND_SEQUENCE_ERROR,
                            "the authentication transaction changed while its DH key was made");
                }
                exchange = keys;
                return respond(challenge(), al, alloc);
            }, loop).exceptionally(QueueAuthentication::asResult);
        }
        return CompletableFuture.completedFuture(respond(switch (step) {
            case CHALLENGE -> challenge();
            case SUCCESS1 -> success1();
            case FAILURE1 -> failure1();
            default -> {
                fail(AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE);
                yield failure1();
            }
        }, cmd.length(), alloc));
    }

    /** The message as the command's data, if it fits in AL; the step moves on only then. */
    private CommandResult respond(AuthMessage message, long al, ByteBufAllocator alloc) {
        if (message.size() > al) {
            // Nothing was handed out: the host may ask again with a large enough buffer.
            throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND.dnr(), AuthenticationCommand.OFFSET_LENGTH,
                    "AL " + al + " is less than the " + message.size() + " bytes of the message");
        }
        advanceAfter(message);
        ByteBuf out = alloc.buffer(message.size());
        message.encode(out);
        return CommandResult.data(out);
    }

    /** Runs DH work on the pool; a full pool interrupts the command (the host may retry it). */
    private static <T> CompletableFuture<T> offload(java.util.function.Supplier<T> work) {
        try {
            return CompletableFuture.supplyAsync(work, DH_POOL);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new NvmeCommandException(StatusCode.COMMAND_INTERRUPTED,
                    "too many DH-HMAC-CHAP computations waiting"));
        }
    }

    private static void checkCommand(AuthenticationCommand cmd) {
        int offset = cmd.invalidFieldOffset();
        if (offset >= 0) {
            throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND.dnr(), offset,
                    String.format("SECP %02xh SPSP0 %02xh SPSP1 %02xh: not DH-HMAC-CHAP (E9h/01h/01h)", cmd.secp(),
                            cmd.spsp0(), cmd.spsp1()));
        }
    }

    // ---- Authentication Send ----

    private void negotiate(AuthMessage.Negotiate n) {
        clear();
        generation++;
        tid = n.tid();
        if (secrets == null) {
            // Nothing to authenticate with: say so before any (costly) exchange.
            log.info("queue {}: host {} has no DH-HMAC-CHAP secret here", qid, hostNqn);
            fail(AuthFailureReason.AUTHENTICATION_PROTOCOL_NOT_USABLE);
            return;
        }
        if (n.scC() != AuthMessage.SC_C_NONE) {
            fail(AuthFailureReason.SECURE_CHANNEL_CONCATENATION_MISMATCH);
            return;
        }
        // The decoder accepted only DH-HMAC-CHAP descriptors; the first one speaks for the host.
        AuthMessage.DhchapDescriptor offer = n.descriptors().getFirst();
        hash = policy.hashes().stream().filter(h -> offer.hashIds().contains(h.id())).findFirst().orElse(null);
        if (hash == null) {
            fail(AuthFailureReason.HASH_FUNCTION_NOT_USABLE);
            return;
        }
        group = policy.dhGroups().stream().filter(g -> offer.dhGroupIds().contains(g.id())).findFirst().orElse(null);
        if (group == null) {
            fail(AuthFailureReason.DH_GROUP_NOT_USABLE);
            return;
        }
        log.debug("queue {}: host {} negotiated {} and {} (T_ID {})", qid, hostNqn, hash, group, tid);
        step = Step.CHALLENGE;
    }

    private boolean expect(Step expected, AuthMessage m) {
        if (step != expected) {
            fail(AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE);
            return false;
        }
        if (m.tid() != tid) {
            fail(AuthFailureReason.INCORRECT_PAYLOAD);
            return false;
        }
        return true;
    }

    private CompletableFuture<CommandResult> reply(AuthMessage.Reply r) {
        byte[] response = r.response();
        if (response.length != hash.length()) {
            fail(AuthFailureReason.INCORRECT_PAYLOAD);
            return DONE;
        }
        byte[] dhValue = r.dhValue();
        if (group == DhGroup.NULL) {
            if (dhValue.length != 0) {
                fail(AuthFailureReason.INCORRECT_PAYLOAD);
                return DONE;
            }
            verify(r, response);
            return DONE;
        }
        int g = generation;
        DhKeyExchange keys = exchange;
        step = Step.BUSY;
        return offload(() -> {
            try {
                return keys.sessionKey(dhValue);
            } catch (IllegalArgumentException e) {
                log.debug("queue {}: host {} sent an unusable DH value: {}", qid, hostNqn, e.getMessage());
                return null;
            }
        }).thenApplyAsync(key -> {
            if (g != generation) {
                return CommandResult.SUCCESS; // a new transaction began meanwhile: this Reply no longer counts
            }
            if (key == null) {
                fail(AuthFailureReason.DH_GROUP_NOT_USABLE);
            } else {
                sessionKey = key;
                verify(r, response);
            }
            return CommandResult.SUCCESS;
        }, loop).exceptionally(QueueAuthentication::asResult);
    }

    /** A command status thrown on the way becomes the command's completion (the queue expects results, not errors). */
    private static CommandResult asResult(Throwable t) {
        Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof NvmeCommandException e) {
            return e.result();
        }
        throw t instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(cause);
    }

    /** Checks the host's response R1 and prepares the controller's R2 when the host asked for it. */
    private void verify(AuthMessage.Reply r, byte[] response) {
        byte[] expected = DhchapResponses.hostResponse(hash, secrets.secret().transform(hostNqn), augment(c1), s1, tid,
                AuthMessage.SC_C_NONE, hostNqn, subsystemNqn);
        if (!MessageDigest.isEqual(expected, response)) {
            log.info("queue {}: host {} failed DH-HMAC-CHAP: its response does not match", qid, hostNqn);
            fail(AuthFailureReason.AUTHENTICATION_FAILED);
            return;
        }
        // S2 0 with a C2 only asks for a PSK for a secure channel (8.3.4.5.4), which this target does not offer.
        boolean bidirectional = r.challengeValid() && r.seqnum() != 0;
        if (bidirectional) {
            if (secrets.controllerSecret() == null) {
                log.info("queue {}: host {} asks the controller to authenticate, but it has no controller secret here",
                        qid, hostNqn);
                fail(AuthFailureReason.AUTHENTICATION_FAILED);
                return;
            }
            controllerResponse = DhchapResponses.controllerResponse(hash,
                    secrets.controllerSecret().transform(subsystemNqn), augment(r.challenge()), r.seqnum(), tid,
                    AuthMessage.SC_C_NONE, subsystemNqn, hostNqn);
        }
        step = Step.SUCCESS1;
    }

    private byte[] augment(byte[] challenge) {
        return sessionKey == null ? challenge : DhchapResponses.augmentedChallenge(hash, sessionKey, challenge);
    }

    // ---- Authentication Receive ----

    private AuthMessage challenge() {
        c1 = new byte[hash.length()];
        RANDOM.nextBytes(c1);
        do {
            s1 = RANDOM.nextInt();
        } while (s1 == 0);
        byte[] dhValue = group == DhGroup.NULL ? new byte[0] : exchange.publicValue();
        return new AuthMessage.Challenge(tid, hash, group, s1, c1, dhValue);
    }

    private AuthMessage success1() {
        return new AuthMessage.Success1(tid, hash.length(), controllerResponse);
    }

    private AuthMessage failure1() {
        return AuthMessage.Failure.failure1(tid, failure);
    }

    /** The step after a message went out: the Success1 of a one-way transaction ends it. */
    private void advanceAfter(AuthMessage sent) {
        switch (sent) {
            case AuthMessage.Challenge c -> step = Step.REPLY;
            case AuthMessage.Success1 s -> {
                if (s.responseValid()) {
                    step = Step.SUCCESS2;
                } else {
                    succeed();
                }
            }
            case AuthMessage.Failure f -> {
                outcome.finished(false, failure);
                clear();
                step = Step.NEGOTIATE;
            }
            default -> throw new IllegalStateException("controller sent " + sent);
        }
    }

    private void succeed() {
        authenticated = true;
        log.debug("queue {}: host {} authenticated with {} and {}", qid, hostNqn, hash, group);
        outcome.finished(true, null);
        clear();
        step = Step.NEGOTIATE;
    }

    /** The transaction failed: AUTH_Failure1 is what the next Authentication Receive returns. */
    private void fail(AuthFailureReason reason) {
        generation++;
        authenticated = false;
        failure = reason;
        step = Step.FAILURE1;
        log.debug("queue {}: DH-HMAC-CHAP with host {} failed: {}", qid, hostNqn, reason.description());
    }

    private void clear() {
        exchange = null;
        sessionKey = null;
        c1 = null;
        controllerResponse = null;
    }
}
