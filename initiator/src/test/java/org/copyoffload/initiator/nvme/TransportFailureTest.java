package org.copyoffload.initiator.nvme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TransportFailureTest {
    private final FakeController controller = new FakeController();

    @AfterEach
    void stop() {
        controller.close();
    }

    private static NvmeTransportException transportFailure(CompletableFuture<?> f) {
        try {
            Object result = f.get();
            throw new AssertionError("expected a transport failure, got " + result);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(NvmeTransportException.class);
            return (NvmeTransportException) e.getCause();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Submits reads the controller holds back, so they are pending when the connection fails. */
    private List<CompletableFuture<ByteBuf>> pendingReads(NvmeTcpHost host, int count) {
        controller.holdIo = true;
        List<CompletableFuture<ByteBuf>> reads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            reads.add(host.read(0, 1, i, 1, 512));
        }
        Eventually.await("reads held", () -> controller.held.size() == count);
        return reads;
    }

    @Test
    void c2hTermReqFailsEveryPendingCommandNamingFesAndFei() {
        controller.faults.put(1000L, FakeController.Fault.TERM_REQ);
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().build())) {
            List<CompletableFuture<ByteBuf>> pending = pendingReads(host, 3);
            CompletableFuture<ByteBuf> trigger = host.read(0, 1, 1000, 1, 512);
            for (CompletableFuture<ByteBuf> f : List.of(pending.get(0), pending.get(1), pending.get(2), trigger)) {
                NvmeTransportException e = transportFailure(f);
                assertThat(e.fatalErrorStatus()).contains(FatalErrorStatus.DATA_TRANSFER_LIMIT_EXCEEDED);
                assertThat(e.fatalErrorInformation()).isEqualTo(0x1234);
                assertThat(e).hasMessageContaining("C2HTermReq").hasMessageContaining("FES=DATA_TRANSFER_LIMIT_EXCEEDED")
                        .hasMessageContaining("FEI=0x1234");
            }
            // Later submissions on that queue fail at once with the same reason.
            assertThat(transportFailure(host.flush(0, 1))).hasMessageContaining("C2HTermReq");
            // The admin queue is unaffected.
            host.keepAlive();
            controller.releaseHeld(10);
        }
    }

    @Test
    void connectionLossFailsPendingCommands() {
        controller.faults.put(77L, FakeController.Fault.CLOSE);
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().build())) {
            List<CompletableFuture<ByteBuf>> pending = pendingReads(host, 2);
            CompletableFuture<Void> trigger = host.write(0, 1, 77, Unpooled.wrappedBuffer(new byte[512]), 512, false);
            assertThat(transportFailure(trigger)).hasMessageContaining("connection closed by the controller");
            for (CompletableFuture<ByteBuf> f : pending) {
                assertThat(transportFailure(f).fatalErrorStatus()).isEmpty();
            }
            controller.releaseHeld(10);
        }
    }

    @Test
    void outOfOrderC2hDataIsFatal() {
        assertHostTerminates(FakeController.Fault.C2H_OUT_OF_ORDER, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 12,
                host -> host.read(0, 1, 500, 4, 512));
    }

    @Test
    void c2hDataBeyondTheReadIsFatal() {
        assertHostTerminates(FakeController.Fault.C2H_TOO_LONG, FatalErrorStatus.DATA_TRANSFER_OUT_OF_RANGE, 16,
                host -> host.read(0, 1, 500, 4, 512));
    }

    @Test
    void r2tBeyondTheWriteIsFatal() {
        assertHostTerminates(FakeController.Fault.R2T_OUT_OF_RANGE, FatalErrorStatus.DATA_TRANSFER_OUT_OF_RANGE, 12,
                host -> host.write(0, 1, 500, Unpooled.wrappedBuffer(new byte[8192]), 512, false));
    }

    @Test
    void responseForAnUnknownCidIsFatal() {
        assertHostTerminates(FakeController.Fault.RESPONSE_UNKNOWN_CID, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 20,
                host -> host.flush(0, 1).thenCompose(v -> host.read(0, 1, 500, 1, 512)));
    }

    private void assertHostTerminates(FakeController.Fault fault, FatalErrorStatus fes, int fei,
                                      java.util.function.Function<NvmeTcpHost, CompletableFuture<?>> trigger) {
        controller.faults.put(500L, fault);
        controller.ioccsz = 4;
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().build())) {
            List<CompletableFuture<ByteBuf>> pending = pendingReads(host, 2);
            controller.holdIo = false;
            NvmeTransportException e = transportFailure(trigger.apply(host));
            assertThat(e).hasMessageContaining("H2CTermReq");
            assertThat(e.fatalErrorStatus()).contains(fes);
            assertThat(e.fatalErrorInformation()).isEqualTo(fei);
            for (CompletableFuture<ByteBuf> f : pending) {
                assertThat(transportFailure(f).fatalErrorStatus()).contains(fes);
            }
            Eventually.await("H2CTermReq at the controller", () -> controller.hostTermReqs.size() == 1);
            assertThat(controller.hostTermReqs.getFirst().fes()).isEqualTo(fes);
            assertThat(controller.hostTermReqs.getFirst().fei()).isEqualTo(fei);
            controller.releaseHeld(10);
        }
    }

    @Test
    void headerDigestErrorFromTheControllerIsFatal() {
        controller.faults.put(3L, FakeController.Fault.BAD_HEADER_DIGEST);
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().headerDigest(true).build())) {
            NvmeTransportException e = transportFailure(host.read(0, 1, 3, 1, 512));
            assertThat(e.fatalErrorStatus()).contains(FatalErrorStatus.HEADER_DIGEST_ERROR);
            assertThat(e).hasMessageContaining("malformed PDU");
            Eventually.await("H2CTermReq at the controller", () -> controller.hostTermReqs.size() == 1);
            assertThat(controller.hostTermReqs.getFirst().fes()).isEqualTo(FatalErrorStatus.HEADER_DIGEST_ERROR);
            // Only the broken queue is gone.
            host.keepAlive();
        }
    }

    @Test
    void dataDigestErrorInC2hDataFailsOnlyThatCommand() throws Exception {
        controller.faults.put(9L, FakeController.Fault.BAD_DATA_DIGEST);
        controller.fillPattern();
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().dataDigest(true).build())) {
            assertThatThrownBy(() -> host.read(0, 1, 9, 1, 512).get()).cause()
                    .isInstanceOfSatisfying(NvmeStatusException.class,
                            e -> assertThat(e.is(StatusCode.DATA_TRANSFER_ERROR)).isTrue());
            ByteBuf ok = host.read(0, 1, 10, 1, 512).get();
            assertThat(ok.readableBytes()).isEqualTo(512);
            ok.release();
        }
    }

    @Test
    void closingTheHostFailsPendingCommands() {
        NvmeTcpHost host = NvmeTcpHost.connect(controller.options().commandTimeout(java.time.Duration.ofMillis(500)).build());
        List<CompletableFuture<ByteBuf>> pending = pendingReads(host, 2);
        host.close();
        for (CompletableFuture<ByteBuf> f : pending) {
            assertThat(transportFailure(f)).hasMessageContaining("closed by the host");
        }
        assertThat(transportFailure(host.read(0, 1, 0, 1, 512))).isNotNull();
        controller.releaseHeld(10);
    }

    @Test
    void blockingHelpersRefuseToRunOnTheEventLoop() throws Exception {
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().build())) {
            // The read is held by the controller, so the callback is attached before it completes and then runs on
            // the event loop that completes it (a future already complete would run it on this thread instead).
            CompletableFuture<ByteBuf> held = pendingReads(host, 1).getFirst();
            CompletableFuture<Object> nested = held.thenApply(b -> {
                b.release();
                return host.identifyController();
            });
            controller.holdIo = false;
            controller.releaseHeld(1);
            assertThatThrownBy(nested::get).cause().isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("deadlock");
        }
    }

    @Test
    void closeFromACallbackDoesNotDeadlock() throws Exception {
        NvmeTcpHost host = NvmeTcpHost.connect(controller.options().build());
        host.flush(0, 1).thenRun(host::close).get();
        Eventually.await("connections closed", () -> controller.open.get() == 0);
    }
}
