package org.copyoffload.server;

import org.copyoffload.testsupport.LeakDetectionExtension;
import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.Nvme.assertStatus;
import static org.copyoffload.server.TestServer.NQN;
import static org.copyoffload.server.TestServer.NS_4K;

import java.time.Duration;
import java.util.Random;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeCommands;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.protocol.nvme.fabrics.PropertyCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Keep Alive (NVMe Base 2.1, 3.9): a host that stays silent longer than KATO loses its controller, and the
 * target closes every queue of it; Keep Alive commands keep it; Set Features changes KATO.
 */
@ExtendWith(LeakDetectionExtension.class)
class KeepAliveTest {
    static final int KATO = 500;
    /** How long the target may take past KATO to notice (it checks every KATO/4); generous for a busy machine. */
    static final Duration DEADLINE = Duration.ofMillis(4L * KATO);

    @RegisterExtension
    static final TargetServerExtension target = TargetServerExtension.defaults();
    static TestServer server;
    static NvmeTcpHost bystander;

    @BeforeAll
    static void start() {
        server = target.server();
        bystander = target.closeAfterClass(server.connect(1));
    }

    static void assertBystanderWorks() {
        long lba = server.allocate(NS_4K, 1);
        byte[] data = TestServer.randomBytes(new Random(lba), 4096);
        Nvme.write(bystander, NS_4K, lba, data, false);
        assertThat(Nvme.read(bystander, NS_4K, lba, 1)).isEqualTo(data);
    }

    static void grantQueues(RawQueue admin, int queues) {
        CompletionQueueEntry cqe = admin.command(Nvme.setFeatures(NvmeCommands.FID_NUMBER_OF_QUEUES,
                ((queues - 1) << 16) | (queues - 1), false).withCid(1));
        assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
    }

    @Test
    void aSilentHostLosesItsControllerAndEveryQueueOfIt() {
        HostOptions id = server.options(NQN).build();
        long started = System.nanoTime();
        try (RawQueue admin = RawQueue.admin(server, id, 32, KATO, true)) {
            grantQueues(admin, 2);
            try (RawQueue io1 = RawQueue.io(server, id, admin.cntlid(), 1, 32, 0, false, false);
                 RawQueue io2 = RawQueue.io(server, id, admin.cntlid(), 2, 32, 0, false, false)) {
                // I/O does not count as keep alive.
                assertThat(io1.command(Nvme.flush(NS_4K).withCid(1)).status()).isEqualTo(NvmeStatus.SUCCESS);
                assertThat(admin.conn().awaitPeerClose(DEADLINE)).as("admin queue closed").isTrue();
                long elapsedMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
                assertThat(io1.conn().awaitPeerClose(RawQueue.WAIT)).as("I/O queue 1 closed").isTrue();
                assertThat(io2.conn().awaitPeerClose(RawQueue.WAIT)).as("I/O queue 2 closed").isTrue();
                assertThat(elapsedMs).as("closed after KATO").isGreaterThanOrEqualTo(KATO - 50);
                assertThat(elapsedMs).as("closed within about 2 x KATO").isLessThan(3L * KATO);
            }
            // The controller is gone: its CNTLID no longer takes I/O queues.
            try (RawQueue again = new RawQueue(server.rawInitialized(false, false))) {
                CompletionQueueEntry cqe = again.connect(RawQueue.connectSqe(0, 1, 31, 0, 0),
                        RawQueue.connectData(id, admin.cntlid(), NQN));
                assertStatus(cqe, StatusCode.CONNECT_INVALID_PARAMETERS, true);
            }
        }
        assertBystanderWorks();
    }

    @Test
    void commandsOtherThanKeepAliveDoNotRestartTheTimer() {
        HostOptions id = server.options(NQN).build();
        try (RawQueue admin = RawQueue.admin(server, id, 32, KATO, true)) {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            int cid = 1;
            while (!admin.conn().isPeerClosed() && System.nanoTime() < deadline) {
                admin.send(new PropertyCommand(false, 4, ControllerRegisters.CSTS, 0).toSqe(cid++ & 0xF), null);
                TestServer.pause(50);
            }
            assertThat(admin.conn().awaitPeerClose(Duration.ofMillis(100))).isTrue();
        }
    }

    @Test
    void keepAliveCommandsKeepTheController() {
        HostOptions id = server.options(NQN).build();
        try (RawQueue admin = RawQueue.admin(server, id, 32, KATO, true)) {
            grantQueues(admin, 1);
            try (RawQueue io = RawQueue.io(server, id, admin.cntlid(), 1, 32, 0, false, false)) {
                for (int i = 0; i < 8; i++) {
                    TestServer.pause(KATO / 3);
                    assertThat(admin.command(NvmeCommands.keepAlive().withCid(2)).status()).isEqualTo(NvmeStatus.SUCCESS);
                }
                assertThat(admin.conn().isPeerClosed()).isFalse();
                assertThat(io.conn().isPeerClosed()).isFalse();
                assertThat(io.command(Nvme.flush(NS_4K).withCid(1)).status()).isEqualTo(NvmeStatus.SUCCESS);
            }
        }
    }

    @Test
    void theJavaHostKeepsItsControllerWithKeepAlive() {
        HostOptions options = server.options(NQN).ioQueues(1).keepAliveTimeoutMillis(KATO).build();
        try (NvmeTcpHost host = server.connect(options)) {
            assertThat(host.getFeatures(NvmeCommands.FID_KEEP_ALIVE_TIMER, NvmeCommands.SEL_CURRENT, 0)).isEqualTo(KATO);
            TestServer.pause(2L * KATO + 200);
            long lba = server.allocate(NS_4K, 1);
            byte[] data = TestServer.randomBytes(new Random(2), 4096);
            Nvme.write(host, NS_4K, lba, data, false);
            assertThat(Nvme.read(host, NS_4K, lba, 1)).isEqualTo(data);
        }
    }

    @Test
    void setFeaturesKatoStartsTheTimer() {
        HostOptions id = server.options(NQN).build();
        try (RawQueue admin = RawQueue.admin(server, id, 32, 0, true)) {
            // KATO 0 at Connect: no timer.
            TestServer.pause(KATO + 200L);
            assertThat(admin.conn().isPeerClosed()).isFalse();
            CompletionQueueEntry set = admin.command(Nvme.setFeatures(NvmeCommands.FID_KEEP_ALIVE_TIMER, 300, false).withCid(1));
            assertThat(set.status()).isEqualTo(NvmeStatus.SUCCESS);
            CompletionQueueEntry get = admin.command(Nvme.getFeatures(NvmeCommands.FID_KEEP_ALIVE_TIMER, 0, 0).withCid(2));
            assertThat(get.dw0()).isEqualTo(300);
            long started = System.nanoTime();
            assertThat(admin.conn().awaitPeerClose(DEADLINE)).as("closed by the new KATO").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started).toMillis()).isGreaterThanOrEqualTo(250);
        }
        assertBystanderWorks();
    }

    @Test
    void setFeaturesKatoZeroOrLargerStopsTheTimeout() {
        HostOptions id = server.options(NQN).build();
        for (int newKato : new int[] {0, 60_000}) {
            try (RawQueue admin = RawQueue.admin(server, id, 32, KATO, true)) {
                CompletionQueueEntry set = admin.command(Nvme.setFeatures(NvmeCommands.FID_KEEP_ALIVE_TIMER, newKato, false).withCid(1));
                assertThat(set.status()).isEqualTo(NvmeStatus.SUCCESS);
                TestServer.pause(2L * KATO);
                assertThat(admin.conn().isPeerClosed()).as("KATO %d", newKato).isFalse();
                assertThat(admin.command(NvmeCommands.keepAlive().withCid(2)).status()).isEqualTo(NvmeStatus.SUCCESS);
            }
        }
    }

    @Test
    void katoOnAnIoQueueConnectIsIgnored() {
        // KATO belongs to the admin queue's Connect; an I/O queue's KATO does not start a timer.
        HostOptions id = server.options(NQN).build();
        try (RawQueue admin = RawQueue.admin(server, id, 32, 0, true)) {
            grantQueues(admin, 1);
            try (RawQueue io = new RawQueue(server.rawInitialized(false, false))) {
                CompletionQueueEntry cqe = io.connect(RawQueue.connectSqe(0, 1, 31, 0, 200),
                        RawQueue.connectData(id, admin.cntlid(), NQN));
                assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
                TestServer.pause(700);
                assertThat(io.conn().isPeerClosed()).isFalse();
                assertThat(admin.conn().isPeerClosed()).isFalse();
            }
        }
    }
}
