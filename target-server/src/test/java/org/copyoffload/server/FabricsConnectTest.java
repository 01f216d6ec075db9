package org.copyoffload.server;

import org.copyoffload.testsupport.LeakDetectionExtension;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.server.Nvme.assertStatus;
import static org.copyoffload.server.TestServer.NQN;
import static org.copyoffload.server.TestServer.NS_4K;

import io.netty.buffer.ByteBuf;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeCommands;
import org.copyoffload.initiator.nvme.NvmeStatusException;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.AdminOpcode;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.ConnectCommand;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.protocol.nvme.fabrics.PropertyCommand;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.identify.IdentifyController;
import org.copyoffload.protocol.nvme.log.DiscoveryLogEntry;
import org.copyoffload.protocol.nvme.log.DiscoveryLogPage;
import org.copyoffload.protocol.nvme.log.LogPageId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fabrics commands (NVMe-oF 1.1, 3): Connect of admin and I/O queues and each way it can be refused,
 * Property Get/Set and the controller's enable/reset/shutdown, Disconnect, and the discovery controller.
 */
@ExtendWith(LeakDetectionExtension.class)
class FabricsConnectTest {
    /** Connect Invalid Parameters dw0: IATTR bit 0 (in Connect data) and IPO. */
    static final int IN_DATA = 1 << 16;
    static final String ADVERTISED = "192.0.2.10";

    @TempDir
    static Path dir;
    static TestServer server;
    static NvmeTcpHost bystander;
    static long sentinelLba;
    static byte[] sentinel;

    @BeforeAll
    static void start() {
        // A second listener advertising another address, for the discovery log page.
        String yaml = TestServer.defaultYaml(dir).replace("""
                listeners:
                  - address: 127.0.0.1
                    port: 0
                """, """
                listeners:
                  - address: 127.0.0.1
                    port: 0
                  - address: 127.0.0.2
                    port: 0
                    advertise-address: %s
                """.formatted(ADVERTISED));
        server = TestServer.start(dir, yaml);
        bystander = server.connect(1);
        sentinelLba = server.allocate(NS_4K, 1);
        sentinel = TestServer.randomBytes(new Random(3), 4096);
        Nvme.write(bystander, NS_4K, sentinelLba, sentinel, false);
    }

    @AfterAll
    static void stop() {
        if (bystander != null) {
            bystander.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static void assertUnharmed() {
        assertThat(Nvme.read(bystander, NS_4K, sentinelLba, 1)).isEqualTo(sentinel);
        bystander.keepAlive();
    }

    static HostOptions identity(String nqn) {
        return server.options(nqn).build();
    }

    /** Connect on a fresh, initialized connection; the queue is returned open (for a later check or close). */
    static RawQueue connectRaw(SubmissionQueueEntry sqe, ByteBuf data, CompletionQueueEntry[] out) {
        RawQueue q = new RawQueue(server.rawInitialized(false, false));
        out[0] = q.connect(sqe, data);
        return q;
    }

    static CompletionQueueEntry connectOnce(SubmissionQueueEntry sqe, ByteBuf data) {
        CompletionQueueEntry[] out = new CompletionQueueEntry[1];
        try (RawQueue q = connectRaw(sqe, data, out)) {
            return out[0];
        }
    }

    static ByteBuf adminData(HostOptions id) {
        return RawQueue.connectData(id, ConnectData.DYNAMIC_CONTROLLER, id.subsystemNqn());
    }

    static void assertInvalidParameter(CompletionQueueEntry cqe, int dw0) {
        assertStatus(cqe, StatusCode.CONNECT_INVALID_PARAMETERS, true);
        assertThat(cqe.dw0()).as("IATTR/IPO").isEqualTo(dw0);
    }

    // ---- Connect of an admin queue ----

    @Test
    void eachAdminConnectCreatesAControllerWithAFreshCntlid() {
        List<RawQueue> queues = new ArrayList<>();
        try {
            Set<Integer> ids = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                RawQueue q = RawQueue.admin(server, identity(NQN), 32, 0, false);
                queues.add(q);
                assertThat(q.cntlid()).isBetween(1, 0xFFEF);
                ids.add(q.cntlid());
            }
            assertThat(ids).hasSize(4).doesNotContain(bystander.controllerId());
        } finally {
            queues.forEach(RawQueue::close);
        }
    }

    @Test
    void connectAnswersWithTheCntlidAndNoAuthenticationRequirement() {
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 0, 31, 0, 0), adminData(identity(NQN)));
        assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
        assertThat(cqe.dw0() >>> 16).as("AUTHREQ").isZero();
        assertThat(cqe.sqHead()).isEqualTo(1);
    }

    @Test
    void anUnknownSubsystemNqnIsAnInvalidParameterInTheData() {
        HostOptions id = identity("nqn.2026-01.org.copyoffload:nope");
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 0, 31, 0, 0), adminData(id));
        assertInvalidParameter(cqe, IN_DATA | ConnectData.OFFSET_SUBNQN);
        assertUnharmed();
    }

    @Test
    void anUnsupportedRecordFormatIsConnectIncompatibleFormat() {
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(1, 0, 31, 0, 0), adminData(identity(NQN)));
        assertStatus(cqe, StatusCode.CONNECT_INCOMPATIBLE_FORMAT, true);
        assertThat(cqe.status().code()).isEqualTo(0x180);
    }

    @ParameterizedTest(name = "SQSIZE {0}")
    @ValueSource(ints = {0, TestServer.MAX_QUEUE_ENTRIES, 0xFFFF})
    void anAdminSqsizeOfZeroOrAboveMqesIsAnInvalidParameterAtOffset44(int sqsize) {
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 0, sqsize, 0, 0), adminData(identity(NQN)));
        assertInvalidParameter(cqe, ConnectCommand.OFFSET_SQSIZE);
    }

    /** nvme.max-keep-alive-timeout (5 min by default) bounds how long a vanished host's controller can live. */
    @Test
    void aKatoAboveTheConfiguredMaximumIsAnInvalidParameterAtOffset48() {
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 0, 31, 0, 300_001), adminData(identity(NQN)));
        assertInvalidParameter(cqe, ConnectCommand.OFFSET_KATO);
        cqe = connectOnce(RawQueue.connectSqe(0, 0, 31, 0, -1), adminData(identity(NQN)));
        assertInvalidParameter(cqe, ConnectCommand.OFFSET_KATO);
        assertThat(connectOnce(RawQueue.connectSqe(0, 0, 31, 0, 300_000), adminData(identity(NQN))).status())
                .isEqualTo(NvmeStatus.SUCCESS);
        assertUnharmed();
    }

    @Test
    void theLargestSqsizeIsMqes() {
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 0, TestServer.MAX_QUEUE_ENTRIES - 1, 0, 0),
                adminData(identity(NQN)));
        assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
    }

    @Test
    void aStaticCntlidOnAnAdminConnectIsAnInvalidParameterInTheData() {
        HostOptions id = identity(NQN);
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 0, 31, 0, 0),
                RawQueue.connectData(id, 1, NQN));
        assertInvalidParameter(cqe, IN_DATA | ConnectData.OFFSET_CNTLID);
    }

    @Test
    void aConnectWithoutItsKilobyteOfDataIsDataSglLengthInvalid() {
        ByteBuf half = adminData(identity(NQN));
        half.writerIndex(512);
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 0, 31, 0, 0), half);
        assertStatus(cqe, StatusCode.DATA_SGL_LENGTH_INVALID, true);
    }

    @Test
    void aHostNqnWithoutTerminatorIsAnInvalidParameterAtItsOffset() {
        ByteBuf data = adminData(identity(NQN));
        for (int i = 0; i < ConnectData.NQN_FIELD; i++) {
            data.setByte(ConnectData.OFFSET_HOSTNQN + i, 'a');
        }
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 0, 31, 0, 0), data);
        assertInvalidParameter(cqe, IN_DATA | ConnectData.OFFSET_HOSTNQN);
    }

    @Test
    void aHostMissingFromTheAllowListGetsConnectInvalidHostAndAnAllowedHostConnects() {
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 0, 31, 0, 0),
                adminData(identity(TestServer.RESTRICTED_NQN)));
        assertStatus(cqe, StatusCode.CONNECT_INVALID_HOST, true);
        assertThat(cqe.status().code()).isEqualTo(0x184);
        assertThatThrownBy(() -> server.connect(identity(TestServer.RESTRICTED_NQN)))
                .isInstanceOfSatisfying(NvmeStatusException.class, e -> assertThat(e.is(StatusCode.CONNECT_INVALID_HOST)).isTrue());
        try (NvmeTcpHost allowed = server.connect(server.options(TestServer.RESTRICTED_NQN).hostNqn(TestServer.ALLOWED_HOST).build())) {
            byte[] data = TestServer.randomBytes(new Random(5), 4096);
            Nvme.write(allowed, 1, 0, data, true);
            assertThat(Nvme.read(allowed, 1, 0, 1)).isEqualTo(data);
        }
        assertUnharmed();
    }

    @Test
    void aSecondConnectOnOneQueueIsACommandSequenceError() {
        HostOptions id = identity(NQN);
        try (RawQueue q = RawQueue.admin(server, id, 32, 0, false)) {
            CompletionQueueEntry cqe = q.command(RawQueue.connectSqe(0, 0, 31, 0, 0), adminData(id));
            assertStatus(cqe, StatusCode.COMMAND_SEQUENCE_ERROR, true);
            assertThat(q.propertyGet(ControllerRegisters.VS, 4)).isEqualTo(0x20100);
        }
    }

    // ---- Connect of an I/O queue ----

    /** A controller enabled over a raw admin queue, with {@code queues} I/O queues granted. */
    static RawQueue enabledController(HostOptions id, int queues) {
        RawQueue admin = RawQueue.admin(server, id, 32, 0, true);
        if (queues > 0) {
            CompletionQueueEntry cqe = admin.command(Nvme.setFeatures(NvmeCommands.FID_NUMBER_OF_QUEUES,
                    ((queues - 1) << 16) | (queues - 1), false));
            assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
        }
        return admin;
    }

    @Test
    void anIoConnectNamingAnotherControllerHostOrHostIdIsAnInvalidParameterAtCntlid() {
        HostOptions id = identity(NQN);
        try (RawQueue admin = enabledController(id, 4)) {
            HostOptions stranger = identity(NQN);
            byte[] otherHostId = stranger.hostId();
            ByteBuf[] wrong = {
                RawQueue.connectData(id, admin.cntlid() + 1000, NQN),
                RawQueue.connectData(id.hostId(), admin.cntlid(), NQN, stranger.hostNqn()),
                RawQueue.connectData(otherHostId, admin.cntlid(), NQN, id.hostNqn()),
            };
            for (ByteBuf data : wrong) {
                CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 1, 31, 0, 0), data);
                assertInvalidParameter(cqe, IN_DATA | ConnectData.OFFSET_CNTLID);
            }
            // The right triple works.
            try (RawQueue io = RawQueue.io(server, id, admin.cntlid(), 1, 32, 0, false, false)) {
                assertThat(io.command(Nvme.flush(NS_4K).withCid(1)).status()).isEqualTo(NvmeStatus.SUCCESS);
            }
        }
    }

    @Test
    void aQidBeyondTheGrantedQueuesIsAnInvalidParameterAtOffset42() {
        HostOptions id = identity(NQN);
        try (RawQueue admin = enabledController(id, 2)) {
            CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 3, 31, 0, 0), RawQueue.connectData(id, admin.cntlid(), NQN));
            assertInvalidParameter(cqe, ConnectCommand.OFFSET_QID);
            try (RawQueue io = RawQueue.io(server, id, admin.cntlid(), 2, 32, 0, false, false)) {
                // The same QID twice is refused the same way.
                CompletionQueueEntry again = connectOnce(RawQueue.connectSqe(0, 2, 31, 0, 0),
                        RawQueue.connectData(id, admin.cntlid(), NQN));
                assertInvalidParameter(again, ConnectCommand.OFFSET_QID);
                assertThat(io.command(Nvme.flush(NS_4K).withCid(1)).status()).isEqualTo(NvmeStatus.SUCCESS);
            }
        }
        // Without Set Features Number of Queues no I/O queue is granted at all.
        try (RawQueue admin = enabledController(id, 0)) {
            CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 1, 31, 0, 0), RawQueue.connectData(id, admin.cntlid(), NQN));
            assertInvalidParameter(cqe, ConnectCommand.OFFSET_QID);
        }
    }

    @Test
    void anIoSqsizeOfZeroOrAboveMqesIsAnInvalidParameterAtOffset44() {
        HostOptions id = identity(NQN);
        try (RawQueue admin = enabledController(id, 2)) {
            for (int sqsize : new int[] {0, TestServer.MAX_QUEUE_ENTRIES}) {
                CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 1, sqsize, 0, 0),
                        RawQueue.connectData(id, admin.cntlid(), NQN));
                assertInvalidParameter(cqe, ConnectCommand.OFFSET_SQSIZE);
            }
        }
    }

    @Test
    void anIoQueueBeforeCcEnIsACommandSequenceError() {
        HostOptions id = identity(NQN);
        try (RawQueue admin = RawQueue.admin(server, id, 32, 0, false)) {
            CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 1, 31, 0, 0), RawQueue.connectData(id, admin.cntlid(), NQN));
            assertStatus(cqe, StatusCode.COMMAND_SEQUENCE_ERROR, true);
        }
    }

    // ---- commands in the wrong state ----

    @Test
    void commandsBeforeConnectAreCommandSequenceErrors() {
        try (RawQueue q = new RawQueue(server.rawInitialized(false, false))) {
            assertStatus(q.command(Nvme.identify(Cns.CONTROLLER, 0, 0).withCid(1).withSgl(SglDescriptor.transport(4096))),
                    StatusCode.COMMAND_SEQUENCE_ERROR, true);
            assertStatus(q.command(new PropertyCommand(false, 4, ControllerRegisters.VS, 0).toSqe(2)),
                    StatusCode.COMMAND_SEQUENCE_ERROR, true);
            assertStatus(q.command(Nvme.flush(NS_4K).withCid(3)), StatusCode.COMMAND_SEQUENCE_ERROR, true);
            assertStatus(q.command(NvmeCommands.disconnect().withCid(4)), StatusCode.COMMAND_SEQUENCE_ERROR, true);
            // The queue can still be connected afterwards.
            HostOptions id = identity(NQN);
            assertThat(q.connect(RawQueue.connectSqe(0, 0, 31, 0, 0), adminData(id)).status()).isEqualTo(NvmeStatus.SUCCESS);
        }
    }

    @Test
    void adminCommandsWhileCcEnIsClearAreCommandSequenceErrors() {
        try (RawQueue q = RawQueue.admin(server, identity(NQN), 32, 0, false)) {
            SubmissionQueueEntry[] commands = {
                Nvme.identify(Cns.CONTROLLER, 0, 0).withSgl(SglDescriptor.transport(4096)),
                NvmeCommands.getLogPage(0, LogPageId.SMART_HEALTH, 0, 0, 512).withSgl(SglDescriptor.transport(512)),
                Nvme.getFeatures(NvmeCommands.FID_KEEP_ALIVE_TIMER, 0, 0),
                Nvme.setFeatures(NvmeCommands.FID_NUMBER_OF_QUEUES, 0, false),
                NvmeCommands.keepAlive(),
                SubmissionQueueEntry.builder(AdminOpcode.ASYNCHRONOUS_EVENT_REQUEST.code()).build(),
            };
            int cid = 1;
            for (SubmissionQueueEntry sqe : commands) {
                CompletionQueueEntry cqe = q.command(sqe.withCid(cid++));
                assertStatus(cqe, StatusCode.COMMAND_SEQUENCE_ERROR, true);
            }
            q.enable();
            CompletionQueueEntry ok = q.command(NvmeCommands.keepAlive().withCid(cid));
            assertThat(ok.status()).isEqualTo(NvmeStatus.SUCCESS);
        }
    }

    @Test
    void fabricsCommandsOtherThanConnectAndDisconnectAreRefusedOnAnIoQueue() {
        HostOptions id = identity(NQN);
        try (RawQueue admin = enabledController(id, 1);
             RawQueue io = RawQueue.io(server, id, admin.cntlid(), 1, 32, 0, false, false)) {
            assertStatus(io.command(new PropertyCommand(false, 4, ControllerRegisters.VS, 0).toSqe(1)),
                    StatusCode.INVALID_COMMAND_OPCODE, true);
            assertStatus(io.command(new PropertyCommand(true, 4, ControllerRegisters.CC, 0).toSqe(2)),
                    StatusCode.INVALID_COMMAND_OPCODE, true);
            // The controller was not touched by the refused Property Set.
            assertThat(admin.propertyGet(ControllerRegisters.CSTS, 4) & 1).isEqualTo(1);
        }
    }

    @Test
    void unknownFabricsCommandTypesAreInvalidOpcodes() {
        try (RawQueue q = RawQueue.admin(server, identity(NQN), 32, 0, true)) {
            for (int fctype : new int[] {0x7E, 0xC0}) {
                SubmissionQueueEntry sqe = SubmissionQueueEntry.builder(SubmissionQueueEntry.FABRICS_OPCODE)
                        .cid(fctype).nsid(fctype).build();
                assertStatus(q.command(sqe), StatusCode.INVALID_COMMAND_OPCODE, true);
            }
            // Authentication Send/Receive exist (DH-HMAC-CHAP): SECP 0 is not its security protocol (E9h).
            for (int fctype : new int[] {0x05, 0x06}) {
                SubmissionQueueEntry sqe = SubmissionQueueEntry.builder(SubmissionQueueEntry.FABRICS_OPCODE)
                        .cid(fctype).nsid(fctype).build();
                assertStatus(q.command(sqe), StatusCode.INVALID_FIELD_IN_COMMAND, true);
            }
        }
    }

    // ---- properties ----

    @Test
    void capIsEightBytesWithMqesTimeoutAndCommandSets() {
        long cap = bystander.propertyGet(ControllerRegisters.CAP, 8);
        assertThat(ControllerRegisters.mqes(cap)).isEqualTo(TestServer.MAX_QUEUE_ENTRIES - 1);
        assertThat((cap >>> 16) & 1).as("CQR").isEqualTo(1);
        assertThat((cap >>> 24) & 0xFF).as("TO").isEqualTo(20);
        assertThat(ControllerRegisters.capCss(cap)).as("CSS: NVM and I/O command sets").isEqualTo(0x41);
        assertThat((cap >>> 48) & 0xF).as("MPSMIN").isZero();
        assertThat(bystander.capabilities()).isEqualTo(cap);
        try (Completion c = Nvme.admin(bystander, NvmeCommands.propertyGet(ControllerRegisters.CAP, 4))) {
            assertStatus(c, StatusCode.INVALID_FIELD_IN_COMMAND, true);
        }
    }

    @Test
    void vsFollowsEachSubsystemsVersion() {
        assertThat(bystander.propertyGet(ControllerRegisters.VS, 4)).isEqualTo(0x00020100);
        assertThat(bystander.identifyController().version()).isEqualTo(0x00020100);
        try (NvmeTcpHost old = server.connect(server.options(TestServer.RESTRICTED_NQN).hostNqn(TestServer.ALLOWED_HOST)
                .ioQueues(0).build())) {
            assertThat(old.propertyGet(ControllerRegisters.VS, 4)).isEqualTo(0x00010400);
            assertThat(old.identifyController().version()).isEqualTo(0x00010400);
        }
    }

    @Test
    void ccReadsBackAndCstsIsReadyAfterEnable() {
        long cc = bystander.propertyGet(ControllerRegisters.CC, 4);
        assertThat(ControllerRegisters.ccEnable((int) cc)).isTrue();
        assertThat(ControllerRegisters.ccIosqes((int) cc)).isEqualTo(6);
        assertThat(ControllerRegisters.ccIocqes((int) cc)).isEqualTo(4);
        assertThat(bystander.propertyGet(ControllerRegisters.CSTS, 4)).isEqualTo(ControllerRegisters.CSTS_RDY);
        assertThat(bystander.propertyGet(ControllerRegisters.NSSR, 4)).isZero();
        try (RawQueue q = RawQueue.admin(server, identity(NQN), 32, 0, false)) {
            assertThat(q.propertyGet(ControllerRegisters.CC, 4)).isZero();
            assertThat(q.propertyGet(ControllerRegisters.CSTS, 4)).isZero();
            q.enable();
        }
    }

    @ParameterizedTest(name = "CC = {0}")
    @ValueSource(ints = {
        1 | (5 << 16) | (4 << 20),          // IOSQES 5
        1 | (6 << 16) | (5 << 20),          // IOCQES 5
        1 | (1 << 7) | (6 << 16) | (4 << 20), // MPS 1 (8 KiB pages)
        1 | (1 << 4) | (6 << 16) | (4 << 20), // CSS 1 (reserved)
    })
    void enablingWithUnsupportedSettingsSetsCfsUntilReset(int cc) {
        try (RawQueue q = RawQueue.admin(server, identity(NQN), 32, 0, false)) {
            q.propertySet(ControllerRegisters.CC, cc);
            long csts = q.propertyGet(ControllerRegisters.CSTS, 4);
            assertThat(csts & ControllerRegisters.CSTS_CFS).as("CFS").isEqualTo(ControllerRegisters.CSTS_CFS);
            assertThat(csts & ControllerRegisters.CSTS_RDY).as("RDY").isZero();
            assertStatus(q.command(Nvme.identify(Cns.CONTROLLER, 0, 0).withCid(1).withSgl(SglDescriptor.transport(4096))),
                    StatusCode.COMMAND_SEQUENCE_ERROR, true);
            q.propertySet(ControllerRegisters.CC, 0);
            assertThat(q.propertyGet(ControllerRegisters.CSTS, 4)).isZero();
            q.enable();
            assertThat(q.command(NvmeCommands.keepAlive().withCid(2)).status()).isEqualTo(NvmeStatus.SUCCESS);
        }
    }

    @Test
    void ccShnReportsShutdownComplete() {
        HostOptions id = identity(NQN);
        try (RawQueue q = RawQueue.admin(server, id, 32, 0, true)) {
            long cc = q.propertyGet(ControllerRegisters.CC, 4);
            q.propertySet(ControllerRegisters.CC, cc | (1 << 14));
            // The flush runs off the network thread: SHST goes from 01b (occurring) to 10b (complete), as a host polls.
            long[] csts = {0};
            TestServer.eventually("CSTS.SHST complete", java.time.Duration.ofSeconds(10), () -> {
                csts[0] = q.propertyGet(ControllerRegisters.CSTS, 4);
                assertThat((csts[0] >>> 2) & 3).as("SHST").isIn(1L, 2L);
                return ((csts[0] >>> 2) & 3) == 2;
            });
            assertThat(csts[0] & ControllerRegisters.CSTS_CFS).isZero();
        }
        assertUnharmed();
    }

    @Test
    void clearingCcEnResetsTheControllerAndClosesItsIoQueues() {
        HostOptions id = identity(NQN);
        try (RawQueue admin = enabledController(id, 2);
             RawQueue io = RawQueue.io(server, id, admin.cntlid(), 1, 32, 0, false, false)) {
            admin.propertySet(ControllerRegisters.CC, 0);
            assertThat(io.conn().awaitPeerClose(RawQueue.WAIT)).as("I/O queue closed by the reset").isTrue();
            assertThat(admin.propertyGet(ControllerRegisters.CSTS, 4)).isZero();
            admin.enable();
            // Features went back to their defaults: no I/O queues are granted until the host asks again.
            CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 1, 31, 0, 0), RawQueue.connectData(id, admin.cntlid(), NQN));
            assertInvalidParameter(cqe, ConnectCommand.OFFSET_QID);
        }
        assertUnharmed();
    }

    @Test
    void propertySetOfAnythingButCcAndWrongSizesAreInvalidFields() {
        try (RawQueue q = RawQueue.admin(server, identity(NQN), 32, 0, true)) {
            SubmissionQueueEntry[] wrong = {
                new PropertyCommand(true, 8, ControllerRegisters.CAP, 0).toSqe(1),
                new PropertyCommand(true, 4, ControllerRegisters.VS, 0).toSqe(2),
                new PropertyCommand(true, 4, ControllerRegisters.CSTS, 0).toSqe(3),
                new PropertyCommand(true, 8, ControllerRegisters.CC, 1).toSqe(4),
                new PropertyCommand(false, 8, ControllerRegisters.CC, 0).toSqe(5),
                new PropertyCommand(false, 8, ControllerRegisters.VS, 0).toSqe(6),
                new PropertyCommand(false, 4, 0x30, 0).toSqe(7),
                new PropertyCommand(false, 4, ControllerRegisters.CAP, 0).toSqe(8).withCid(8),
            };
            for (SubmissionQueueEntry sqe : wrong) {
                assertStatus(q.command(sqe), StatusCode.INVALID_FIELD_IN_COMMAND, true);
            }
            // ATTRIB size 2 is reserved.
            SubmissionQueueEntry attrib2 = SubmissionQueueEntry.builder(SubmissionQueueEntry.FABRICS_OPCODE).cid(9)
                    .nsid(0x04).cdw10(2).cdw11(ControllerRegisters.VS).build();
            assertStatus(q.command(attrib2), StatusCode.INVALID_FIELD_IN_COMMAND, true);
            // Nothing changed.
            assertThat(q.propertyGet(ControllerRegisters.CSTS, 4)).isEqualTo(ControllerRegisters.CSTS_RDY);
        }
    }

    @Test
    void losingTheAdminConnectionEndsTheControllerAndClosesItsIoQueues() {
        HostOptions id = identity(NQN);
        RawQueue admin = enabledController(id, 2);
        int cntlid = admin.cntlid();
        try (RawQueue io1 = RawQueue.io(server, id, cntlid, 1, 32, 0, false, false);
             RawQueue io2 = RawQueue.io(server, id, cntlid, 2, 32, 0, false, false)) {
            admin.close();
            assertThat(io1.conn().awaitPeerClose(RawQueue.WAIT)).isTrue();
            assertThat(io2.conn().awaitPeerClose(RawQueue.WAIT)).isTrue();
        }
        CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 1, 31, 0, 0), RawQueue.connectData(id, cntlid, NQN));
        assertInvalidParameter(cqe, IN_DATA | ConnectData.OFFSET_CNTLID);
        assertUnharmed();
    }

    // ---- Disconnect ----

    @Test
    void disconnectAnswersThenClosesTheIoQueueAndTheQidCanBeReused() {
        HostOptions id = identity(NQN);
        try (RawQueue admin = enabledController(id, 1)) {
            try (RawQueue io = RawQueue.io(server, id, admin.cntlid(), 1, 32, 0, false, false)) {
                CompletionQueueEntry cqe = io.command(NvmeCommands.disconnect().withCid(5));
                assertThat(cqe.cid()).isEqualTo(5);
                assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
                assertThat(io.conn().awaitPeerClose(RawQueue.WAIT)).isTrue();
            }
            // The controller lives on; the QID is free again (the target may need a moment to see the close).
            assertThat(admin.command(NvmeCommands.keepAlive().withCid(1)).status()).isEqualTo(NvmeStatus.SUCCESS);
            TestServer.eventually("QID 1 reusable", RawQueue.WAIT, () ->
                    connectOnce(RawQueue.connectSqe(0, 1, 31, 0, 0), RawQueue.connectData(id, admin.cntlid(), NQN))
                            .status().isSuccess());
        }
        assertUnharmed();
    }

    @Test
    void disconnectAbortsAWriteStillWaitingForItsDataAndCloses() {
        HostOptions id = identity(NQN);
        long lba = server.allocate(NS_4K, 4);
        byte[] before = TestServer.randomBytes(new Random(8), 16384);
        Nvme.write(bystander, NS_4K, lba, before, false);
        try (RawQueue admin = enabledController(id, 1);
             RawQueue io = RawQueue.io(server, id, admin.cntlid(), 1, 32, 0, false, false)) {
            io.sendExact(Nvme.write(NS_4K, lba, 4, false).withCid(1).withSgl(SglDescriptor.transport(16384)), null);
            io.conn().expect(org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            io.send(NvmeCommands.disconnect().withCid(2), null);
            CompletionQueueEntry first = io.response();
            CompletionQueueEntry second = io.response();
            CompletionQueueEntry write = first.cid() == 1 ? first : second;
            CompletionQueueEntry disconnect = first.cid() == 1 ? second : first;
            assertThat(write.cid()).isEqualTo(1);
            assertStatus(write, StatusCode.COMMAND_ABORTED_SQ_DELETION, false);
            assertThat(disconnect.cid()).isEqualTo(2);
            assertThat(disconnect.status()).isEqualTo(NvmeStatus.SUCCESS);
            assertThat(io.conn().awaitPeerClose(RawQueue.WAIT)).as("queue closed after the Disconnect").isTrue();
        }
        assertThat(Nvme.read(bystander, NS_4K, lba, 4)).isEqualTo(before);
    }

    // ---- discovery ----

    @Test
    void theDiscoveryControllerIdentifiesAsOne() {
        try (NvmeTcpHost disc = server.connect(server.options(TestServer.DISCOVERY_NQN).ioQueues(0).build())) {
            IdentifyController id = disc.identifyController();
            assertThat(id.cntrltype()).isEqualTo(IdentifyController.CNTRLTYPE_DISCOVERY);
            assertThat(id.subnqn()).isEqualTo(TestServer.DISCOVERY_NQN);
            assertThat(id.cntlid()).isEqualTo(disc.controllerId());
            assertThat(id.oncs()).isZero();
            try (Completion c = Nvme.admin(disc, Nvme.identify(Cns.NAMESPACE, 1, 0), null, 4096)) {
                assertStatus(c, StatusCode.INVALID_FIELD_IN_COMMAND, true);
            }
            try (Completion c = Nvme.admin(disc, NvmeCommands.getLogPage(0, LogPageId.SMART_HEALTH, 0, 0, 512), null, 512)) {
                assertStatus(c, StatusCode.INVALID_LOG_PAGE, true);
            }
            try (Completion c = Nvme.admin(disc, SubmissionQueueEntry.builder(AdminOpcode.ABORT.code()).build())) {
                assertStatus(c, StatusCode.INVALID_COMMAND_OPCODE, true);
            }
            disc.keepAlive();
        }
    }

    @Test
    void theDiscoveryLogListsEachReachableSubsystemOnEachListener() {
        int port1 = server.server().nvmeAddresses().get(0).getPort();
        int port2 = server.server().nvmeAddresses().get(1).getPort();
        DiscoveryLogPage any = NvmeTcpHost.discover(server.address(), identity(NQN).hostNqn());
        assertThat(any.entries()).extracting(e -> e.subnqn() + "@" + e.traddr() + ":" + e.trsvcid() + "/" + e.subtype())
                .containsExactly(
                        NQN + "@127.0.0.1:" + port1 + "/2",
                        TestServer.DISCOVERY_NQN + "@127.0.0.1:" + port1 + "/3",
                        NQN + "@" + ADVERTISED + ":" + port2 + "/2",
                        TestServer.DISCOVERY_NQN + "@" + ADVERTISED + ":" + port2 + "/3");
        for (DiscoveryLogEntry e : any.entries()) {
            assertThat(e.trtype()).isEqualTo(DiscoveryLogEntry.TRTYPE_TCP);
            assertThat(e.adrfam()).isEqualTo(DiscoveryLogEntry.ADRFAM_IPV4);
            assertThat(e.cntlid()).isEqualTo(0xFFFF);
            assertThat(e.asqsz()).isEqualTo(TestServer.MAX_QUEUE_ENTRIES);
            assertThat(e.portId()).isEqualTo(e.traddr().equals(ADVERTISED) ? 2 : 1);
        }
        DiscoveryLogPage allowed = NvmeTcpHost.discover(server.address(), TestServer.ALLOWED_HOST);
        assertThat(allowed.entries()).extracting(DiscoveryLogEntry::subnqn).containsExactly(
                NQN, TestServer.RESTRICTED_NQN, TestServer.DISCOVERY_NQN,
                NQN, TestServer.RESTRICTED_NQN, TestServer.DISCOVERY_NQN);
        assertThat(allowed.generationCounter()).isEqualTo(any.generationCounter());
        // The second listener serves too.
        DiscoveryLogPage viaSecond = NvmeTcpHost.discover(server.server().nvmeAddresses().get(1), TestServer.ALLOWED_HOST);
        assertThat(viaSecond.entries()).hasSize(6);
    }

    @Test
    void theDiscoveryLogCanBeReadInPieces() {
        try (NvmeTcpHost disc = server.connect(server.options(TestServer.DISCOVERY_NQN).ioQueues(0).build())) {
            byte[] whole = TestServer.bytesOf(disc.getLogPage(0, LogPageId.DISCOVERY, 0, 0, 5 * 1024));
            byte[] tail = TestServer.bytesOf(disc.getLogPage(0, LogPageId.DISCOVERY, 0, 2048, 1024));
            assertThat(tail).isEqualTo(java.util.Arrays.copyOfRange(whole, 2048, 3072));
        }
    }

    @Test
    void anIoQueueToTheDiscoveryControllerIsRefused() {
        HostOptions id = identity(TestServer.DISCOVERY_NQN);
        try (RawQueue admin = RawQueue.admin(server, id, 32, 0, true)) {
            CompletionQueueEntry cqe = connectOnce(RawQueue.connectSqe(0, 1, 31, 0, 0),
                    RawQueue.connectData(id, admin.cntlid(), TestServer.DISCOVERY_NQN));
            assertInvalidParameter(cqe, ConnectCommand.OFFSET_QID);
            assertStatus(admin.command(Nvme.setFeatures(NvmeCommands.FID_NUMBER_OF_QUEUES, 0, false).withCid(3)),
                    StatusCode.SUCCESS, false);
            CompletionQueueEntry again = connectOnce(RawQueue.connectSqe(0, 1, 31, 0, 0),
                    RawQueue.connectData(id, admin.cntlid(), TestServer.DISCOVERY_NQN));
            assertInvalidParameter(again, ConnectCommand.OFFSET_QID);
        }
    }
}
