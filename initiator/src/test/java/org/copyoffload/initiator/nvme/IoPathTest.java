package org.copyoffload.initiator.nvme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.identify.IdentifyNamespace;
import org.copyoffload.protocol.nvme.tcp.PduType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IoPathTest {
    private static final int LBA = FakeController.LBA_SIZE;
    private final FakeController controller = new FakeController();
    private NvmeTcpHost host;

    @BeforeEach
    void connect() {
        controller.fillPattern();
        controller.maxH2cData = 4096;
        controller.r2tChunk = 12288;
        controller.c2hChunk = 5000;
    }

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        controller.close();
        assertThat(controller.violations).isEmpty();
    }

    private NvmeTcpHost host() {
        if (host == null) {
            host = NvmeTcpHost.connect(controller.options().build());
        }
        return host;
    }

    private static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] bytes(ByteBuf data) {
        try {
            byte[] b = new byte[data.readableBytes()];
            data.getBytes(data.readerIndex(), b);
            return b;
        } finally {
            data.release();
        }
    }

    @Test
    void smallWriteGoesInCapsule() throws Exception {
        byte[] data = random(4096, 1);
        host().write(0, 1, 10, Unpooled.wrappedBuffer(data), LBA, true).get();

        FakeController.Command write = controller.commands(1).stream().filter(c -> c.is(NvmOpcode.WRITE.code()))
                .findFirst().orElseThrow();
        assertThat(write.sqe().sgl()).isEqualTo(SglDescriptor.inCapsule(4096));
        assertThat(write.inCapsuleLength()).isEqualTo(4096);
        assertThat(write.sqe().cdw12()).isEqualTo(7 | NvmeCommands.FUA);
        assertThat(controller.r2ts).isEmpty();
        assertThat(controller.h2c).isEmpty();
        assertThat(controller.mediaRange(10, 8)).isEqualTo(data);
    }

    @Test
    void largeWriteAnswersEachR2tWithH2cDataOfAtMostMaxH2cData() throws Exception {
        byte[] data = random(32 * 1024 + 512, 2);
        host().write(0, 1, 100, Unpooled.wrappedBuffer(data), LBA, false).get();

        FakeController.Command write = controller.commands(1).stream().filter(c -> c.is(NvmOpcode.WRITE.code()))
                .findFirst().orElseThrow();
        assertThat(write.sqe().sgl()).isEqualTo(SglDescriptor.transport(data.length));
        assertThat(write.inCapsuleLength()).isZero();
        // R2Ts of 12 KiB: 0-12K, 12K-24K, 24K-33.5K; each answered in 4 KiB pieces, LAST_PDU closing each R2T.
        assertThat(controller.r2ts).extracting(FakeController.R2tSent::offset).containsExactly(0, 12288, 24576);
        assertThat(controller.h2c).extracting(FakeController.H2c::dataOffset)
                .containsExactly(0, 4096, 8192, 12288, 16384, 20480, 24576, 28672, 32768);
        assertThat(controller.h2c).extracting(FakeController.H2c::dataLength)
                .containsExactly(4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 512);
        assertThat(controller.h2c).extracting(FakeController.H2c::last)
                .containsExactly(false, false, true, false, false, true, false, false, true);
        assertThat(controller.h2c).allSatisfy(h -> assertThat(h.cccid()).isEqualTo(write.sqe().cid()));
        assertThat(controller.mediaRange(100, data.length / LBA)).isEqualTo(data);
    }

    @Test
    void r2tsAreAnsweredForExactlyTheRangeAskedInAnyOrder() throws Exception {
        controller.r2tReversed = true;
        controller.r2tChunk = 5 * 1024;
        byte[] data = random(16 * 1024, 5);
        host().write(0, 1, 300, Unpooled.wrappedBuffer(data), LBA, false).get();
        // R2Ts 15K-16K, 10K-15K, 5K-10K, 0-5K: each answered from its R2TO, split at MAXH2CDATA (4 KiB).
        assertThat(controller.r2ts).extracting(FakeController.R2tSent::offset).containsExactly(15360, 10240, 5120, 0);
        assertThat(controller.h2c).extracting(FakeController.H2c::dataOffset)
                .containsExactly(15360, 10240, 14336, 5120, 9216, 0, 4096);
        assertThat(controller.h2c).extracting(FakeController.H2c::last)
                .containsExactly(true, false, true, false, true, false, true);
        assertThat(controller.mediaRange(300, 32)).isEqualTo(data);
    }

    @Test
    void writeOneByteOverTheInCapsuleLimitGoesByR2t() throws Exception {
        controller.ioccsz = (64 + 1024) / 16;
        host().write(0, 1, 0, Unpooled.wrappedBuffer(random(1024, 3)), LBA, false).get();
        host().write(0, 1, 0, Unpooled.wrappedBuffer(random(1536, 4)), LBA, false).get();
        assertThat(host().inCapsuleDataBytes()).isEqualTo(1024);
        List<FakeController.Command> writes = controller.commands(1).stream()
                .filter(c -> c.is(NvmOpcode.WRITE.code())).toList();
        assertThat(writes).extracting(c -> c.sqe().sgl().identifier())
                .containsExactly(SglDescriptor.IN_CAPSULE, SglDescriptor.TRANSPORT_DATA_BLOCK);
    }

    @Test
    void readIsAssembledFromSeveralC2hDataPdus() throws Exception {
        byte[] read = bytes(host().read(0, 1, 64, 64, LBA).get());
        assertThat(read).isEqualTo(controller.mediaRange(64, 64));
        FakeController.Command cmd = controller.commands(1).stream().filter(c -> c.is(NvmOpcode.READ.code()))
                .findFirst().orElseThrow();
        assertThat(cmd.sqe().sgl()).isEqualTo(SglDescriptor.transport(64 * LBA));
        // 32 KiB in 5000-byte PDUs: 7 PDUs.
        assertThat(host().ioTraffic(0).snapshot().received(PduType.C2H_DATA).pdus()).isEqualTo(7);
    }

    @Test
    void readCompletedBySuccessFlagNeedsNoCapsuleResp() throws Exception {
        controller.c2hSuccess = true;
        NvmeTcpHost h = host();
        long responsesBefore = h.ioTraffic(0).snapshot().received(PduType.CAPSULE_RESP).pdus();
        Completion c = h.submitIo(0, NvmeCommands.read(1, 5, 20), null, 20 * LBA).get();
        assertThat(c.isSuccess()).isTrue();
        assertThat(c.cid()).isEqualTo(controller.commands(1).getLast().sqe().cid());
        assertThat(bytes(c.data())).isEqualTo(controller.mediaRange(5, 20));
        assertThat(h.ioTraffic(0).snapshot().received(PduType.CAPSULE_RESP).pdus()).isEqualTo(responsesBefore);
        // The queue keeps working after a SUCCESS completion: the CID was freed.
        assertThat(bytes(h.read(0, 1, 7, 1, LBA).get())).isEqualTo(controller.mediaRange(7, 1));
    }

    @Test
    void singlePduReadIsHandedOverWithoutCopy() throws Exception {
        controller.c2hChunk = 1 << 20;
        assertThat(bytes(host().read(0, 1, 0, 256, LBA).get())).isEqualTo(controller.mediaRange(0, 256));
    }

    @Test
    void errorStatusFailsTheFutureWithTheStatus() {
        CompletableFuture<ByteBuf> read = host().read(0, 1, FakeController.BLOCKS - 1, 2, LBA);
        assertThatThrownBy(read::get).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(NvmeStatusException.class, e -> {
                    assertThat(e.is(StatusCode.LBA_OUT_OF_RANGE)).isTrue();
                    assertThat(e.status().dnr()).isTrue();
                });
        CompletableFuture<Void> write = host().write(0, 1, FakeController.BLOCKS, Unpooled.wrappedBuffer(new byte[LBA]), LBA, false);
        assertThatThrownBy(write::get).cause().isInstanceOf(NvmeStatusException.class);
    }

    @Test
    void submitIoReturnsTheCompletionWithItsStatus() throws Exception {
        try (Completion c = host().submitIo(0, NvmeCommands.read(2, 0, 1), null, LBA).get()) {
            assertThat(c.status().is(StatusCode.INVALID_NAMESPACE_OR_FORMAT)).isTrue();
            assertThat(c.data().readableBytes()).isZero();
        }
        try (Completion c = host().submitIo(0, NvmeCommands.flush(1), null, 0).get()) {
            assertThat(c.isSuccess()).isTrue();
        }
        host().flush(0, 1).get();
    }

    @Test
    void badArgumentsFailWithoutLeakingTheData() {
        assertThatThrownBy(() -> host().write(0, 1, 0, Unpooled.wrappedBuffer(new byte[100]), LBA, false).get())
                .cause().isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> host().submitIo(3, NvmeCommands.flush(1), Unpooled.buffer(4).writeInt(1), 0).get())
                .cause().isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> host().submitIo(0, NvmeCommands.read(1, 0, 1), Unpooled.buffer(4).writeInt(1), 512).get())
                .cause().isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void manyConcurrentCommandsFromSeveralThreadsAllComplete() throws Exception {
        controller.c2hChunk = 4096;
        host = NvmeTcpHost.connect(controller.options().ioQueues(2).ioQueueSize(16).build());
        int perThread = 200;
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < 4; t++) {
            int queue = t % 2;
            long seed = t;
            threads.add(Thread.ofPlatform().start(() -> {
                Random random = new Random(seed);
                List<CompletableFuture<Boolean>> futures = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    int blocks = 1 + random.nextInt(16);
                    long slba = random.nextInt(FakeController.BLOCKS - blocks);
                    byte[] expected = controller.mediaRange(slba, blocks);
                    futures.add(host.read(queue, 1, slba, blocks, LBA).thenApply(b -> java.util.Arrays.equals(bytes(b), expected)));
                }
                for (CompletableFuture<Boolean> f : futures) {
                    try {
                        if (!f.get()) {
                            errors.add(new AssertionError("data mismatch"));
                        }
                    } catch (Exception e) {
                        errors.add(e);
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(errors).isEmpty();
        // Never more than 15 in flight on a 16-entry queue: every command got a CID below 15.
        assertThat(controller.commands(1)).filteredOn(c -> c.is(NvmOpcode.READ.code()))
                .allSatisfy(c -> assertThat(c.sqe().cid()).isLessThan(15));
    }

    @Test
    void adminHelpers() {
        NvmeTcpHost h = host();
        assertThat(h.identifyController().cntlid()).isEqualTo(FakeController.CNTLID);
        IdentifyNamespace ns = h.identifyNamespace(1);
        assertThat(ns.nsze()).isEqualTo(FakeController.BLOCKS);
        assertThat(ns.currentFormat().blockSize()).isEqualTo(LBA);
        assertThatThrownBy(() -> h.identifyNamespace(9)).isInstanceOfSatisfying(NvmeStatusException.class,
                e -> assertThat(e.is(StatusCode.INVALID_NAMESPACE_OR_FORMAT)).isTrue());
        assertThat(h.activeNamespaces()).containsExactly(1);
        h.setFeatures(0x0B, 0x1234);
        assertThat(h.getFeatures(0x0B, NvmeCommands.SEL_CURRENT, 0)).isEqualTo(0x1234);
        h.keepAlive();
        assertThat(controller.keepAlives).hasSize(1);
        assertThat(h.propertyGet(org.copyoffload.protocol.nvme.fabrics.ControllerRegisters.VS, 4)).isEqualTo(0x20100);
        assertThatThrownBy(() -> h.getLogPage(0, 0x02, 0, 0, 512)).isInstanceOf(NvmeStatusException.class);
    }
}
