package org.copyoffload.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.copyoffload.initiator.nvme.DhchapCredentials;
import org.copyoffload.initiator.nvme.DhchapFailureException;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeCommands;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.RawNvmeTcpConnection;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.auth.AuthFailureReason;
import org.copyoffload.protocol.nvme.auth.AuthMessage;
import org.copyoffload.protocol.nvme.auth.AuthenticationCommand;
import org.copyoffload.protocol.nvme.auth.DhGroup;
import org.copyoffload.protocol.nvme.auth.DhchapHash;
import org.copyoffload.protocol.nvme.auth.DhchapSecret;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * DH-HMAC-CHAP end to end over loopback, our Java host against our target: the right secret authenticates every
 * queue and I/O works, with and without a DH group and both ways; a wrong secret, a controller that cannot prove
 * itself, a hash or group the controller will not use and a host without a secret are refused with the right reason
 * code explanation; re-authentication; and on a hand-driven queue, the statuses before authentication.
 */
class DhchapLoopbackTest {
    private static final String NQN = "nqn.2026-01.org.copyoffload:auth";
    private static final String STRICT_NQN = "nqn.2026-01.org.copyoffload:auth-strict";
    private static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000000d1";
    private static final String BIDI_HOST = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000000d2";
    private static final String PLAIN_HOST = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000000d3";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final DhchapSecret HOST_SECRET = DhchapSecret.generate(DhchapHash.SHA_256, RANDOM);
    private static final DhchapSecret BIDI_SECRET = DhchapSecret.generate(null, RANDOM);
    private static final DhchapSecret CTRL_SECRET = DhchapSecret.generate(DhchapHash.SHA_512, RANDOM);

    @TempDir
    static Path dataDir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dataDir, """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: 0}]
                metrics: {enabled: false}
                volumes: [{name: v, size: 16MiB}, {name: w, size: 16MiB}]
                subsystems:
                  - nqn: %s
                    allow-any-host: false
                    allowed-hosts:
                      - {nqn: %s, dhchap-secret: "%s"}
                      - {nqn: %s, dhchap-secret: "%s", dhchap-ctrl-secret: "%s"}
                      - %s
                    namespaces: [{nsid: 1, volume: v}]
                  - nqn: %s
                    allow-any-host: false
                    allowed-hosts: [{nqn: %s, dhchap-secret: "%s"}]
                    dhchap: {hashes: [sha384], dh-groups: [ffdhe3072]}
                    namespaces: [{nsid: 1, volume: w}]
                """.formatted(dataDir, NQN, HOST, HOST_SECRET.encode(), BIDI_HOST, BIDI_SECRET.encode(), CTRL_SECRET.encode(),
                PLAIN_HOST, STRICT_NQN, HOST, HOST_SECRET.encode()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HostOptions.Builder options(String nqn, String host, DhchapCredentials credentials) {
        return server.options(nqn).hostNqn(host).ioQueues(2).dhchap(credentials);
    }

    private static double authentications(String result) {
        return server.server().registry().find("copyoffload.nvme.authentications").tag("result", result).counters()
                .stream().mapToDouble(Counter::count).sum();
    }

    private static void writeAndReadBack(NvmeTcpHost host, int queue, long lba) {
        byte[] data = TestServer.randomBytes(new Random(lba), 4096);
        host.write(queue, 1, lba, Unpooled.wrappedBuffer(data), 4096, false).join();
        ByteBuf back = host.read(queue, 1, lba, 1, 4096).join();
        try {
            assertThat(ByteBufUtil.getBytes(back)).isEqualTo(data);
        } finally {
            back.release();
        }
    }

    /** Linux's offer (every hash and group) against the default preferences, and each group alone. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"SHA_256, ", "SHA_256, NULL", "SHA_384, FFDHE2048", "SHA_512, FFDHE4096"})
    void rightSecretAuthenticatesEveryQueue(DhchapHash hash, DhGroup group) {
        DhchapCredentials credentials = new DhchapCredentials(DhchapSecret.parse(HOST_SECRET.encode()), null);
        if (group != null) {
            credentials = credentials.withOffer(List.of(hash), List.of(group));
        }
        double before = authentications("success");
        try (NvmeTcpHost host = NvmeTcpHost.connect(options(NQN, HOST, credentials).build())) {
            writeAndReadBack(host, 0, 10);
            writeAndReadBack(host, 1, 11);
        }
        assertThat(authentications("success") - before).isEqualTo(3); // admin and two I/O queues
    }

    /** The Keep Alive Timer starts once the admin queue has authenticated: DH in ffdhe8192 may take longer than KATO. */
    @Test
    void keepAliveWaitsForAuthentication() {
        try (NvmeTcpHost host = NvmeTcpHost.connect(options(NQN, BIDI_HOST, new DhchapCredentials(BIDI_SECRET, CTRL_SECRET)
                .withOffer(List.of(DhchapHash.SHA_512), List.of(DhGroup.FFDHE8192))).ioQueues(1).keepAliveTimeoutMillis(1000)
                .build())) {
            writeAndReadBack(host, 0, 60);
        }
    }

    @Test
    void bidirectional() {
        try (NvmeTcpHost host = NvmeTcpHost.connect(options(NQN, BIDI_HOST,
                new DhchapCredentials(BIDI_SECRET, CTRL_SECRET)).build())) {
            writeAndReadBack(host, 1, 20);
        }
        // Both ways over the NULL group too, so the controller response without augmentation is checked as well.
        try (NvmeTcpHost host = NvmeTcpHost.connect(options(NQN, BIDI_HOST, new DhchapCredentials(BIDI_SECRET, CTRL_SECRET)
                .withOffer(List.of(DhchapHash.SHA_384), List.of(DhGroup.NULL))).build())) {
            writeAndReadBack(host, 0, 21);
        }
    }

    @Test
    void wrongSecretIsRefusedByTheController() {
        double before = authentications("failure");
        assertThatThrownBy(() -> NvmeTcpHost.connect(options(NQN, HOST,
                new DhchapCredentials(DhchapSecret.generate(DhchapHash.SHA_256, RANDOM), null)).build()))
                .isInstanceOfSatisfying(DhchapFailureException.class, e -> {
                    assertThat(e.refusedByController()).isTrue();
                    assertThat(e.reason()).contains(AuthFailureReason.AUTHENTICATION_FAILED);
                    assertThat(e).hasMessageContaining("queue 0").hasMessageContaining("authentication failed (01h)");
                });
        assertThat(authentications("failure") - before).isEqualTo(1);
    }

    @Test
    void hostDetectsAControllerWithTheWrongSecret() {
        double before = authentications("failure");
        assertThatThrownBy(() -> NvmeTcpHost.connect(options(NQN, BIDI_HOST,
                new DhchapCredentials(BIDI_SECRET, DhchapSecret.generate(DhchapHash.SHA_512, RANDOM))).build()))
                .isInstanceOfSatisfying(DhchapFailureException.class, e -> {
                    assertThat(e.refusedByController()).isFalse();
                    assertThat(e.reason()).contains(AuthFailureReason.AUTHENTICATION_FAILED);
                    assertThat(e).hasMessageContaining("controller's response does not match");
                });
        // The controller heard the host's AUTH_Failure2.
        assertThat(authentications("failure") - before).isEqualTo(1);
    }

    @Test
    void hostAskingForBidirectionalWhereTheControllerHasNoSecretIsRefused() {
        assertThatThrownBy(() -> NvmeTcpHost.connect(options(NQN, HOST, new DhchapCredentials(HOST_SECRET, CTRL_SECRET))
                .build())).isInstanceOfSatisfying(DhchapFailureException.class, e ->
                assertThat(e.reason()).contains(AuthFailureReason.AUTHENTICATION_FAILED));
    }

    @Test
    void hashOrGroupTheControllerWillNotUse() {
        assertThatThrownBy(() -> NvmeTcpHost.connect(options(STRICT_NQN, HOST, new DhchapCredentials(HOST_SECRET, null)
                .withOffer(List.of(DhchapHash.SHA_256, DhchapHash.SHA_512), List.of(DhGroup.values()))).build()))
                .isInstanceOfSatisfying(DhchapFailureException.class, e ->
                        assertThat(e.reason()).contains(AuthFailureReason.HASH_FUNCTION_NOT_USABLE));
        assertThatThrownBy(() -> NvmeTcpHost.connect(options(STRICT_NQN, HOST, new DhchapCredentials(HOST_SECRET, null)
                .withOffer(List.of(DhchapHash.values()), List.of(DhGroup.NULL, DhGroup.FFDHE2048))).build()))
                .isInstanceOfSatisfying(DhchapFailureException.class, e ->
                        assertThat(e.reason()).contains(AuthFailureReason.DH_GROUP_NOT_USABLE));
        // What it does use works.
        try (NvmeTcpHost host = NvmeTcpHost.connect(options(STRICT_NQN, HOST, new DhchapCredentials(HOST_SECRET, null))
                .ioQueues(1).build())) {
            writeAndReadBack(host, 0, 30);
        }
    }

    @Test
    void hostWithoutSecretIsToldToAuthenticate() {
        assertThatThrownBy(() -> NvmeTcpHost.connect(options(NQN, HOST, null).build()))
                .isInstanceOf(DhchapFailureException.class).hasMessageContaining("requires DH-HMAC-CHAP");
        // A host listed without a secret connects as before.
        try (NvmeTcpHost host = NvmeTcpHost.connect(options(NQN, PLAIN_HOST, null).build())) {
            writeAndReadBack(host, 1, 40);
        }
    }

    @Test
    void reauthentication() {
        double before = authentications("success");
        try (NvmeTcpHost host = NvmeTcpHost.connect(options(NQN, BIDI_HOST, new DhchapCredentials(BIDI_SECRET, CTRL_SECRET))
                .build())) {
            host.reauthenticate();
            host.reauthenticate();
            writeAndReadBack(host, 1, 50);
        }
        assertThat(authentications("success") - before).isEqualTo(9);
    }

    // ---- a queue driven by hand ----

    private static int cid = 100;

    private static CompletionQueueEntry command(RawNvmeTcpConnection raw, SubmissionQueueEntry sqe, ByteBuf data) {
        raw.send(new NvmeTcpPdu.CapsuleCmd(sqe.withCid(++cid), data, true));
        return raw.expect(NvmeTcpPdu.CapsuleResp.class, TestServer.TIMEOUT).cqe();
    }

    private static CompletionQueueEntry send(RawNvmeTcpConnection raw, AuthMessage m) {
        ByteBuf data = Unpooled.buffer(m.size());
        m.encode(data);
        return command(raw, AuthenticationCommand.dhchap(true, m.size()).toSqe(0, SglDescriptor.inCapsule(m.size())), data);
    }

    /** Authentication Receive: the message that came back (C2HData), with the CQE checked for success. */
    private static AuthMessage receive(RawNvmeTcpConnection raw) {
        raw.send(new NvmeTcpPdu.CapsuleCmd(AuthenticationCommand.dhchap(false, 4096)
                .toSqe(0, SglDescriptor.transport(4096)).withCid(++cid), Unpooled.EMPTY_BUFFER, true));
        NvmeTcpPdu.C2hData d = raw.expect(NvmeTcpPdu.C2hData.class, TestServer.TIMEOUT);
        try {
            assertThat(raw.expect(NvmeTcpPdu.CapsuleResp.class, TestServer.TIMEOUT).cqe().status().isSuccess()).isTrue();
            return AuthMessage.decode(d.data());
        } finally {
            d.data().release();
        }
    }

    private static int statusCode(CompletionQueueEntry cqe) {
        return (cqe.status().sct() << 8) | cqe.status().sc();
    }

    @Test
    void beforeAuthenticationOnlyAuthenticationCommandsRun() {
        HostOptions identity = options(NQN, HOST, null).build();
        try (RawNvmeTcpConnection raw = server.rawInitialized(false, false)) {
            CompletionQueueEntry connect = raw.connect(0, 32, ConnectData.DYNAMIC_CONTROLLER, identity, TestServer.TIMEOUT);
            assertThat(connect.status().isSuccess()).isTrue();
            assertThat(connect.dw0() & (1 << 17)).as("ATR").isNotZero();

            CompletionQueueEntry property = command(raw, NvmeCommands.propertyGet(ControllerRegisters.CAP, 8), Unpooled.EMPTY_BUFFER);
            assertThat(statusCode(property)).isEqualTo(StatusCode.AUTHENTICATION_REQUIRED.code());
            assertThat(property.status().dnr()).isTrue();
            CompletionQueueEntry identify = command(raw, NvmeCommands.identify(1, 0, 0, 0).withSgl(SglDescriptor.transport(4096)),
                    Unpooled.EMPTY_BUFFER);
            assertThat(statusCode(identify)).isEqualTo(StatusCode.AUTHENTICATION_REQUIRED.code());

            // Not DH-HMAC-CHAP's security protocol: Invalid Field.
            CompletionQueueEntry wrongSecp = command(raw, new AuthenticationCommand(false, 0xEA, 1, 1, 4096)
                    .toSqe(0, SglDescriptor.transport(4096)), Unpooled.EMPTY_BUFFER);
            assertThat(statusCode(wrongSecp)).isEqualTo(StatusCode.INVALID_FIELD_IN_COMMAND.code());

            // Out of order: a Receive before AUTH_Negotiate gets AUTH_Failure1, incorrect protocol message.
            assertThat(receive(raw)).isEqualTo(AuthMessage.Failure.failure1(0, AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE));

            // Secure channel concatenation is not offered.
            assertThat(send(raw, new AuthMessage.Negotiate(7, 1, List.of(new AuthMessage.DhchapDescriptor(List.of(1),
                    List.of(0))))).status().isSuccess()).isTrue();
            assertThat(receive(raw)).isEqualTo(AuthMessage.Failure.failure1(7, AuthFailureReason.SECURE_CHANNEL_CONCATENATION_MISMATCH));

            // A Reply with another T_ID than the transaction's: incorrect payload.
            send(raw, new AuthMessage.Negotiate(8, 0, List.of(new AuthMessage.DhchapDescriptor(List.of(1), List.of(0)))));
            AuthMessage.Challenge challenge = (AuthMessage.Challenge) receive(raw);
            assertThat(challenge.tid()).isEqualTo(8);
            assertThat(challenge.hash()).isEqualTo(DhchapHash.SHA_256);
            assertThat(challenge.dhGroup()).isEqualTo(DhGroup.NULL);
            send(raw, new AuthMessage.Reply(9, new byte[32], null, 0, new byte[0]));
            assertThat(receive(raw)).isEqualTo(AuthMessage.Failure.failure1(8, AuthFailureReason.INCORRECT_PAYLOAD));

            // Garbage in an Authentication Send: incorrect payload.
            byte[] garbage = new byte[20];
            garbage[0] = 1;
            garbage[1] = 2;
            garbage[6] = 33;
            command(raw, AuthenticationCommand.dhchap(true, 20).toSqe(0, SglDescriptor.inCapsule(20)), Unpooled.wrappedBuffer(garbage));
            assertThat(((AuthMessage.Failure) receive(raw)).reason()).contains(AuthFailureReason.INCORRECT_PAYLOAD);

            // Still refused.
            CompletionQueueEntry again = command(raw, NvmeCommands.propertyGet(ControllerRegisters.VS, 4), Unpooled.EMPTY_BUFFER);
            assertThat(statusCode(again)).isEqualTo(StatusCode.AUTHENTICATION_REQUIRED.code());
        }
    }

    @Test
    void badDhValueAndHostsWithoutSecret() {
        try (RawNvmeTcpConnection raw = server.rawInitialized(false, false)) {
            raw.connect(0, 32, ConnectData.DYNAMIC_CONTROLLER, options(NQN, HOST, null).build(), TestServer.TIMEOUT);
            send(raw, new AuthMessage.Negotiate(3, 0, List.of(new AuthMessage.DhchapDescriptor(List.of(2),
                    List.of(DhGroup.FFDHE2048.id())))));
            AuthMessage.Challenge challenge = (AuthMessage.Challenge) receive(raw);
            assertThat(challenge.dhGroup()).isEqualTo(DhGroup.FFDHE2048);
            assertThat(challenge.hash()).isEqualTo(DhchapHash.SHA_384);
            assertThat(challenge.dhValue()).hasSize(256);
            // g^y = 1 is no public value: the group cannot be used with it.
            byte[] one = new byte[256];
            one[255] = 1;
            assertThat(send(raw, new AuthMessage.Reply(3, new byte[48], null, 0, one)).status().isSuccess()).isTrue();
            assertThat(receive(raw)).isEqualTo(AuthMessage.Failure.failure1(3, AuthFailureReason.DH_GROUP_NOT_USABLE));
        }
        // A host listed without a secret has nothing to authenticate with.
        try (RawNvmeTcpConnection raw = server.rawInitialized(false, false)) {
            CompletionQueueEntry connect = raw.connect(0, 32, ConnectData.DYNAMIC_CONTROLLER, options(NQN, PLAIN_HOST, null).build(),
                    TestServer.TIMEOUT);
            assertThat(connect.dw0() & (1 << 17)).as("ATR").isZero();
            send(raw, new AuthMessage.Negotiate(4, 0, List.of(new AuthMessage.DhchapDescriptor(List.of(1), List.of(0)))));
            assertThat(receive(raw)).isEqualTo(AuthMessage.Failure.failure1(4, AuthFailureReason.AUTHENTICATION_PROTOCOL_NOT_USABLE));
            // It still needs no authentication.
            CompletionQueueEntry property = command(raw, NvmeCommands.propertyGet(ControllerRegisters.VS, 4), Unpooled.EMPTY_BUFFER);
            assertThat(property.status().isSuccess()).isTrue();
        }
    }
}
