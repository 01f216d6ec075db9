package org.copyoffload.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.Nvme.assertStatus;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeCommands;
import org.copyoffload.initiator.nvme.NvmeStatusException;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.protocol.nvme.log.LogPageId;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the target does when its storage misbehaves, and what it holds while it waits: read errors reach the host
 * as Unrecovered Read Error, a failed flush is never a clean shutdown, a slow fsync stalls no other connection on
 * the same event loop, and write data, solicited or in-capsule, stays within its budgets. The server runs one event
 * loop, so every connection shares it, and its stores are {@link FaultyStore}s.
 */
@ExtendWith(LeakDetectionExtension.class)
class FaultInjectionTest {
    static final int CONV = 1;
    static final int ZONED = 2;
    static final int BLOCK = 4096;
    static final long ZONE_BLOCKS = 256; // 1 MiB zones
    static final long PER_CONNECTION = 1 << 20;
    static final long TARGET_WIDE = 2 << 20;

    @TempDir
    static Path dir;
    static TestServer server;
    static final Map<String, FaultyStore> stores = new ConcurrentHashMap<>();
    static final AtomicInteger nextZone = new AtomicInteger();

    @BeforeAll
    static void start() {
        String yaml = """
                data-dir: %s
                nvme:
                  event-loops: 1
                  max-write-data-per-connection: 1MiB
                  max-write-data: 2MiB
                  in-capsule-data-size: 131072
                listeners:
                  - {address: 127.0.0.1, port: 0}
                metrics: {enabled: false}
                volumes:
                  - {name: conv, size: 64MiB, block-size: 4096}
                  - {name: zns, size: 32MiB, block-size: 4096, zoned: {zone-size: 1MiB, max-active: 16, max-open: 16}}
                subsystems:
                  - nqn: %s
                    namespaces:
                      - {nsid: 1, volume: conv}
                      - {nsid: 2, volume: zns}
                """.formatted(dir, TestServer.NQN);
        server = TestServer.start(dir, yaml, FaultInjectionTest::faulty);
    }

    static BlockStore faulty(BlockStore store) {
        FaultyStore f = new FaultyStore(store);
        stores.put(((FileBlockStore) store).path().getFileName().toString(), f);
        return f;
    }

    static FaultyStore conv() {
        return stores.get("conv.img");
    }

    static FaultyStore zns() {
        return stores.get("zns.img");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            stores.values().forEach(FaultyStore::heal);
            server.close();
        }
    }

    @AfterEach
    void heal() {
        stores.values().forEach(FaultyStore::heal);
        TestServer.eventually("no write data buffered", Duration.ofSeconds(10),
                () -> server.server().target().writeData().used() == 0);
    }

    static NvmeTcpHost host() {
        return server.connect(1);
    }

    // ---------------------------------------------------------------- read errors

    /**
     * Data not in the page cache is read off the event loop, so a media error becomes the command's status. (Sent
     * by sendfile, as before, the header and a success were on their way before the error showed.)
     */
    @Test
    void aReadErrorIsUnrecoveredReadErrorNotSuccess() {
        long lba = server.allocate(CONV, 16); // never written nor read: not in the page cache
        try (NvmeTcpHost h = host()) {
            conv().failReads = true;
            NvmeStatusException e = awaitFailure(h.read(0, CONV, lba, 16, BLOCK));
            assertThat(e.is(StatusCode.UNRECOVERED_READ_ERROR)).as(e.getMessage()).isTrue();
            conv().failReads = false;
            assertThat(readBlocks(h, CONV, lba, 16)).as("readable again").isEqualTo(new byte[16 * BLOCK]);
            // Written data is in the page cache: it is copied on the event loop (small) or leaves by sendfile
            // (large), and arrives whole either way.
            byte[] data = TestServer.randomBytes(new Random(5), 16 * BLOCK);
            Nvme.write(h, CONV, lba, data, false);
            assertThat(conv().isCached(lba * BLOCK, data.length)).isTrue();
            assertThat(readBlocks(h, CONV, lba, 16)).isEqualTo(data);
            long big = server.allocate(CONV, 256); // larger than the inline limit: sendfile
            byte[] large = TestServer.randomBytes(new Random(6), 256 * BLOCK);
            Nvme.write(h, CONV, big, large, false);
            assertThat(readBlocks(h, CONV, big, 256)).isEqualTo(large);
        }
    }

    // ---------------------------------------------------------------- flush failures

    @Test
    void aShutdownWhoseFlushFailsReportsControllerFatalStatusNotShutdownComplete() {
        HostOptions id = server.options(TestServer.NQN).build();
        try (RawQueue q = RawQueue.admin(server, id, 32, 0, true)) {
            conv().failFlushes = true;
            long cc = q.propertyGet(ControllerRegisters.CC, 4);
            q.propertySet(ControllerRegisters.CC, cc | (1 << 14)); // CC.SHN = 01b, normal shutdown
            long[] csts = {0};
            TestServer.eventually("CSTS.CFS", Duration.ofSeconds(10), () -> {
                csts[0] = q.propertyGet(ControllerRegisters.CSTS, 4);
                return (csts[0] & ControllerRegisters.CSTS_CFS) != 0;
            });
            assertThat((csts[0] >>> 2) & 3).as("SHST is not 'complete'").isNotEqualTo(2);
            // The Error Information log names the failure: Write Fault, not tied to a command (CID FFFFh).
            ByteBuffer entry = ByteBuffer.wrap(q.readData(
                    NvmeCommands.getLogPage(0xFFFFFFFF, LogPageId.ERROR_INFORMATION, 0, 0, 64).withCid(77), 64))
                    .order(ByteOrder.LITTLE_ENDIAN);
            assertThat(entry.getLong(0)).as("error count").isPositive();
            assertThat(entry.getShort(10) & 0xFFFF).as("CID").isEqualTo(0xFFFF);
            assertThat(entry.getShort(12) & 0xFFFE).as("status field")
                    .isEqualTo(StatusCode.WRITE_FAULT.status().toField() & 0xFFFE);
            assertThat(entry.getInt(24)).as("NSID").isEqualTo(CONV);
        }
    }

    @Test
    void aShutdownWhoseFlushWorksReportsShutdownComplete() {
        HostOptions id = server.options(TestServer.NQN).build();
        try (RawQueue q = RawQueue.admin(server, id, 32, 0, true)) {
            long cc = q.propertyGet(ControllerRegisters.CC, 4);
            q.propertySet(ControllerRegisters.CC, cc | (1 << 14));
            TestServer.eventually("CSTS.SHST complete", Duration.ofSeconds(10),
                    () -> ((q.propertyGet(ControllerRegisters.CSTS, 4) >>> 2) & 3) == 2);
            assertThat(q.propertyGet(ControllerRegisters.CSTS, 4) & ControllerRegisters.CSTS_CFS).isZero();
        }
    }

    @Test
    void aFlushOfEveryNamespaceThatFailsIsWriteFault() {
        try (NvmeTcpHost h = host()) {
            zns().failFlushes = true;
            NvmeStatusException e = awaitFailure(h.flush(0, 0xFFFFFFFF));
            assertThat(e.is(StatusCode.WRITE_FAULT)).as(e.getMessage()).isTrue();
            zns().failFlushes = false;
            Nvme.await(h.flush(0, 0xFFFFFFFF));
        }
    }

    // ---------------------------------------------------------------- nothing blocks the event loop

    /** Property Set CC.SHN used to flush on the event loop: every connection on it waited for the fsync. */
    @Test
    void aSlowShutdownFlushStallsNoOtherConnection() {
        long lba = server.allocate(CONV, 4);
        HostOptions id = server.options(TestServer.NQN).build();
        try (NvmeTcpHost other = host(); RawQueue q = RawQueue.admin(server, id, 32, 0, true)) {
            byte[] data = TestServer.randomBytes(new Random(9), 4 * BLOCK);
            Nvme.write(other, CONV, lba, data, false);
            conv().flushDelayMillis = 5000;
            long cc = q.propertyGet(ControllerRegisters.CC, 4);
            q.propertySet(ControllerRegisters.CC, cc | (1 << 14));
            TestServer.eventually("shutdown flush started", Duration.ofSeconds(5), () -> conv().flushesInProgress() > 0);
            assertThat(readBlocks(other, CONV, lba, 4)).isEqualTo(data);
            assertThat(conv().flushesInProgress()).as("the read was served while the flush still ran").isPositive();
            assertThat((q.propertyGet(ControllerRegisters.CSTS, 4) >>> 2) & 3).as("SHST occurring").isEqualTo(1);
        }
    }

    /**
     * A FUA write to a zone holds the zoned volume's lock across its fsync; a write to another zone that arrives
     * meanwhile waits for it off the event loop, so reads on the same loop go on.
     */
    @Test
    void aSlowZonedFsyncStallsNeitherOtherZonesOnTheLoopNorOtherNamespaces() {
        long zoneA = nextZone.getAndIncrement() * ZONE_BLOCKS;
        long zoneB = nextZone.getAndIncrement() * ZONE_BLOCKS;
        long lba = server.allocate(CONV, 4);
        try (NvmeTcpHost a = host(); NvmeTcpHost b = host()) {
            byte[] conventional = TestServer.randomBytes(new Random(11), 4 * BLOCK);
            Nvme.write(b, CONV, lba, conventional, false);
            zns().flushDelayMillis = 5000;
            CompletableFuture<Void> fua = a.write(0, ZONED, zoneA, Unpooled.wrappedBuffer(new byte[BLOCK]), BLOCK, true);
            TestServer.eventually("FUA fsync started", Duration.ofSeconds(5), () -> zns().flushesInProgress() > 0);
            byte[] other = TestServer.randomBytes(new Random(12), BLOCK);
            CompletableFuture<Void> waiting = b.write(0, ZONED, zoneB, Unpooled.wrappedBuffer(other), BLOCK, false);
            assertThat(readBlocks(b, CONV, lba, 4)).isEqualTo(conventional);
            assertThat(zns().flushesInProgress()).as("the read was served while the fsync still ran").isPositive();
            zns().flushDelayMillis = 0;
            Nvme.await(fua);
            Nvme.await(waiting);
            assertThat(readBlocks(b, ZONED, zoneB, 1)).as("the write that waited landed at its zone's start").isEqualTo(other);
        }
    }

    /** Writes to one zone keep their submission order even when they must wait for the volume. */
    @Test
    void writesToOneZoneThatWaitKeepTheirOrder() {
        long zoneA = nextZone.getAndIncrement() * ZONE_BLOCKS;
        long zoneB = nextZone.getAndIncrement() * ZONE_BLOCKS;
        try (NvmeTcpHost a = host(); NvmeTcpHost b = host()) {
            zns().flushDelayMillis = 1000;
            CompletableFuture<Void> fua = a.write(0, ZONED, zoneA, Unpooled.wrappedBuffer(new byte[BLOCK]), BLOCK, true);
            TestServer.eventually("FUA fsync started", Duration.ofSeconds(5), () -> zns().flushesInProgress() > 0);
            byte[] data = TestServer.randomBytes(new Random(13), 8 * BLOCK);
            CompletableFuture<?>[] writes = new CompletableFuture<?>[8];
            for (int i = 0; i < 8; i++) {
                writes[i] = b.write(0, ZONED, zoneB + i, Unpooled.wrappedBuffer(data, i * BLOCK, BLOCK), BLOCK, false);
            }
            zns().flushDelayMillis = 0;
            Nvme.await(fua);
            for (CompletableFuture<?> w : writes) {
                Nvme.await(w);
            }
            assertThat(readBlocks(b, ZONED, zoneB, 8)).isEqualTo(data);
        }
    }

    // ---------------------------------------------------------------- bounded write data

    /** 512 KiB writes against a 1 MiB per-connection budget: two R2Ts go out, the third waits for a completion. */
    @Test
    void r2tsBeyondTheConnectionsBudgetWaitForACompletion() {
        int length = 512 << 10;
        long lba = server.allocate(CONV, 3 * length / BLOCK);
        try (NvmeTcpHost owner = owner(); RawQueue q = ioQueue(owner)) {
            for (int i = 0; i < 3; i++) {
                sendWrite(q, i + 1, lba + (long) i * length / BLOCK, length);
            }
            NvmeTcpPdu.R2t first = q.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            NvmeTcpPdu.R2t second = q.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            assertThat(java.util.List.of(first.cccid(), second.cccid())).containsExactly(1, 2);
            q.expectNothing();
            assertThat(server.server().target().writeData().used()).isEqualTo(PER_CONNECTION);
            sendData(q, first, length);
            // The completion of the first and the R2T of the third, in either order.
            NvmeTcpPdu.R2t third = null;
            for (int i = 0; i < 2; i++) {
                NvmeTcpPdu pdu = q.conn().poll(RawQueue.WAIT);
                if (pdu instanceof NvmeTcpPdu.CapsuleResp resp) {
                    assertThat(resp.cqe().cid()).isEqualTo(1);
                    assertThat(resp.cqe().status()).isEqualTo(NvmeStatus.SUCCESS);
                } else {
                    assertThat(pdu).isInstanceOf(NvmeTcpPdu.R2t.class);
                    third = (NvmeTcpPdu.R2t) pdu;
                }
            }
            assertThat(third).isNotNull();
            assertThat(third.cccid()).isEqualTo(3);
            sendData(q, second, length);
            sendData(q, third, length);
            assertThat(q.response().status()).isEqualTo(NvmeStatus.SUCCESS);
            assertThat(q.response().status()).isEqualTo(NvmeStatus.SUCCESS);
        }
    }

    /** With the target's 2 MiB held by two connections, a third connection's R2T waits for one of them. */
    @Test
    void r2tsBeyondTheTargetsBudgetWaitForAnotherConnection() {
        int length = 1 << 20;
        long lba = server.allocate(CONV, 3 * length / BLOCK);
        try (NvmeTcpHost owner = owner(); RawQueue a = ioQueue(owner); NvmeTcpHost owner2 = owner();
             RawQueue b = ioQueue(owner2); NvmeTcpHost owner3 = owner(); RawQueue c = ioQueue(owner3)) {
            sendWrite(a, 1, lba, length);
            NvmeTcpPdu.R2t ra = a.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            sendWrite(b, 1, lba + 256, length);
            NvmeTcpPdu.R2t rb = b.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            sendWrite(c, 1, lba + 512, 64 << 10);
            c.expectNothing();
            assertThat(server.server().target().writeData().used()).isEqualTo(TARGET_WIDE);
            sendData(a, ra, length);
            assertThat(a.response().status()).isEqualTo(NvmeStatus.SUCCESS);
            NvmeTcpPdu.R2t rc = c.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            sendData(c, rc, 64 << 10);
            assertThat(c.response().status()).isEqualTo(NvmeStatus.SUCCESS);
            sendData(b, rb, length);
            assertThat(b.response().status()).isEqualTo(NvmeStatus.SUCCESS);
        }
    }

    /** A connection that goes away with data solicited and writes held back gives all of it back. */
    @Test
    void aClosedConnectionGivesItsWriteDataBack() {
        int length = 1 << 20;
        long lba = server.allocate(CONV, 2 * length / BLOCK);
        try (NvmeTcpHost owner = owner()) {
            RawQueue q = ioQueue(owner);
            sendWrite(q, 1, lba, length);
            q.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            sendWrite(q, 2, lba + 256, length);
            q.expectNothing();
            q.close();
        }
        TestServer.eventually("budget released", Duration.ofSeconds(10),
                () -> server.server().target().writeData().used() == 0);
    }

    /**
     * In-capsule data counts against the budgets too. With writes held at the store, a host sends 24 writes of 128 KiB
     * in-capsule (3 MiB): the connection stops reading once they fill its 1 MiB, so the target holds about that much
     * (what one socket read brought beyond it included), not all the host sent; the rest is read, and every write
     * completes with its data in place, once the store lets writes through.
     */
    @Test
    void inCapsuleDataBeyondTheConnectionsBudgetStopsReadsUntilWritesComplete() {
        int length = 128 << 10;
        int count = 24;
        long lba = server.allocate(CONV, count * length / BLOCK);
        double pausesBefore = readPauses();
        CountDownLatch gate = new CountDownLatch(1);
        conv().writeGate = gate;
        try (NvmeTcpHost owner = owner(); RawQueue q = ioQueue(owner)) {
            for (int i = 0; i < count; i++) {
                ByteBuf data = Unpooled.buffer(length);
                data.writeBytes(new byte[length]).setByte(0, i + 1);
                q.send(Nvme.write(CONV, lba + (long) i * length / BLOCK, length / BLOCK, false).withCid(i + 1), data);
            }
            long budgetWrites = PER_CONNECTION / length;
            TestServer.eventually("a budget's worth of writes at the store", Duration.ofSeconds(10),
                    () -> conv().writesWaiting() >= budgetWrites);
            q.expectNothing(); // time for more capsules to be read, were reading not paused
            long slack = 512 << 10;
            assertThat(conv().writesWaiting()).as("writes received")
                    .isLessThanOrEqualTo((int) ((PER_CONNECTION + slack) / length));
            assertThat(server.server().target().writeData().used()).isBetween(PER_CONNECTION, PER_CONNECTION + slack);
            assertThat(readPauses()).isGreaterThan(pausesBefore);
            gate.countDown();
            for (int i = 0; i < count; i++) {
                assertThat(q.response().status()).isEqualTo(NvmeStatus.SUCCESS);
            }
        }
        try (NvmeTcpHost h = host()) {
            for (int i = 0; i < count; i += 7) {
                assertThat(readBlocks(h, CONV, lba + (long) i * length / BLOCK, 1)[0]).isEqualTo((byte) (i + 1));
            }
        }
    }

    static double readPauses() {
        return server.server().registry().get("copyoffload.nvme.tcp.read.pauses").counter().count();
    }

    /** A controller with no I/O queues of its own that is granted one, for a raw I/O queue. */
    static NvmeTcpHost owner() {
        NvmeTcpHost h = server.connect(0);
        h.setFeatures(NvmeCommands.FID_NUMBER_OF_QUEUES, 0);
        return h;
    }

    static RawQueue ioQueue(NvmeTcpHost owner) {
        return RawQueue.io(server, owner.options(), owner.controllerId(), 1, 32, 0, false, false);
    }

    static void sendWrite(RawQueue q, int cid, long lba, int length) {
        q.sendExact(Nvme.write(CONV, lba, length / BLOCK, false).withCid(cid).withSgl(SglDescriptor.transport(length)),
                null);
    }

    /** The data an R2T asked for, in PDUs of at most MAXH2CDATA (128 KiB). */
    static void sendData(RawQueue q, NvmeTcpPdu.R2t r2t, int length) {
        int pdu = 128 << 10;
        for (int at = 0; at < length; at += pdu) {
            int n = Math.min(pdu, length - at);
            q.conn().send(new NvmeTcpPdu.H2cData(r2t.cccid(), r2t.ttag(), at, at + n == length,
                    Unpooled.buffer(n).writeZero(n), true));
        }
    }

    static byte[] readBlocks(NvmeTcpHost h, int nsid, long lba, int blocks) {
        return TestServer.bytesOf(Nvme.await(h.read(0, nsid, lba, blocks, BLOCK)));
    }

    static NvmeStatusException awaitFailure(CompletableFuture<?> f) {
        try {
            Object result = f.get(TestServer.TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            if (result instanceof ByteBuf b) {
                b.release();
            }
            throw new AssertionError("succeeded, but an error status was expected");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof NvmeStatusException s) {
                return s;
            }
            throw new AssertionError("failed without a status", e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
