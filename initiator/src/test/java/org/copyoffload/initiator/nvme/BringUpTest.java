package org.copyoffload.initiator.nvme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.protocol.nvme.fabrics.FabricsCommandType;
import org.copyoffload.protocol.nvme.fabrics.PropertyCommand;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BringUpTest {
    private final FakeController controller = new FakeController();

    @AfterEach
    void stop() {
        controller.close();
    }

    @Test
    void bringsTheControllerUpInLinuxOrder() {
        HostOptions options = controller.options().ioQueues(2).build();
        try (NvmeTcpHost host = NvmeTcpHost.connect(options)) {
            assertThat(host.controllerId()).isEqualTo(FakeController.CNTLID);
            assertThat(host.ioQueueCount()).isEqualTo(2);
            assertThat(host.ioQueueSize()).isEqualTo(128);
            assertThat(host.ioQueueDepth()).isEqualTo(127);
            assertThat(host.inCapsuleDataBytes()).isEqualTo(4096);
            assertThat(host.version()).isEqualTo(0x20100);
            assertThat(host.controller().subnqn()).isEqualTo(FakeController.SUBNQN);

            List<String> admin = FakeController.names(controller.commands(0));
            assertThat(admin).startsWith("CONNECT", "PROPERTY_GET", "PROPERTY_GET", "PROPERTY_SET", "PROPERTY_GET",
                    "PROPERTY_GET", "IDENTIFY", "SET_FEATURES");
            List<FakeController.Command> cmds = controller.commands(0);
            assertThat(PropertyCommand.from(cmds.get(1).sqe(), false)).isEqualTo(
                    new PropertyCommand(false, 8, ControllerRegisters.CAP, 0));
            assertThat(PropertyCommand.from(cmds.get(2).sqe(), false).offset()).isEqualTo(ControllerRegisters.VS);
            int cc = cmds.get(3).sqe().cdw12();
            assertThat(ControllerRegisters.ccEnable(cc)).isTrue();
            assertThat(ControllerRegisters.ccIosqes(cc)).isEqualTo(6);
            assertThat(ControllerRegisters.ccIocqes(cc)).isEqualTo(4);
            assertThat(ControllerRegisters.ccCss(cc)).isEqualTo(ControllerRegisters.CC_CSS_NVM);
            assertThat(cmds.get(6).sqe().cdw10() & 0xFF).isEqualTo(1);
            assertThat(cmds.get(7).sqe().cdw10() & 0xFF).isEqualTo(NvmeCommands.FID_NUMBER_OF_QUEUES);
            assertThat(cmds.get(7).sqe().cdw11()).isEqualTo((1 << 16) | 1);

            assertThat(controller.connects).hasSize(3);
            FakeController.Connect adminConnect = controller.connects.get(0);
            assertThat(adminConnect.command().qid()).isZero();
            assertThat(adminConnect.command().sqsize()).isEqualTo(31);
            assertThat(adminConnect.data().cntlid()).isEqualTo(ConnectData.DYNAMIC_CONTROLLER);
            assertThat(adminConnect.data().hostNqn()).isEqualTo(options.hostNqn());
            assertThat(adminConnect.data().hostId()).isEqualTo(options.hostId());
            for (int q = 1; q <= 2; q++) {
                FakeController.Connect io = controller.connects.get(q);
                assertThat(io.command().qid()).isEqualTo(q);
                assertThat(io.command().sqsize()).isEqualTo(127);
                assertThat(io.command().kato()).isZero();
                assertThat(io.data().cntlid()).isEqualTo(FakeController.CNTLID);
            }
            // Connect data always travels in the capsule, 1024 bytes.
            assertThat(controller.commands.stream().filter(c -> c.isFabrics(FabricsCommandType.CONNECT)))
                    .allSatisfy(c -> assertThat(c.inCapsuleLength()).isEqualTo(ConnectData.SIZE));
            assertThat(controller.icReqs).hasSize(3).allSatisfy(ic ->
                    assertThat(ic).isEqualTo(new NvmeTcpPdu.IcReq(0, 0, false, false, 0)));
            assertThat(controller.violations).isEmpty();
        }
    }

    @Test
    @SuppressWarnings("try")
    void selectsAllIoCommandSetsWhenCapSaysSo() {
        controller.capIoCommandSets = true;
        try (NvmeTcpHost ignored = NvmeTcpHost.connect(controller.options().build())) {
            int cc = controller.commands(0).stream()
                    .filter(c -> c.isFabrics(FabricsCommandType.PROPERTY_SET)).findFirst().orElseThrow().sqe().cdw12();
            assertThat(ControllerRegisters.ccCss(cc)).isEqualTo(ControllerRegisters.CC_CSS_ALL_IO_COMMAND_SETS);
        }
    }

    @Test
    void usesTheQueuesTheControllerGrantsAndItsQueueSizeLimit() {
        controller.grantQueues = 1;
        controller.mqes = 63;
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().ioQueues(4).ioQueueSize(256).build())) {
            assertThat(host.ioQueueCount()).isEqualTo(1);
            assertThat(host.ioQueueSize()).isEqualTo(64);
            assertThat(controller.connects.get(1).command().sqsize()).isEqualTo(63);
        }
    }

    @Test
    void closeDisconnectsIoQueuesThenShutsDown() {
        NvmeTcpHost host = NvmeTcpHost.connect(controller.options().ioQueues(2).build());
        host.close();
        host.close();
        List<String> names = FakeController.names(controller.commands);
        assertThat(controller.commands(1)).extracting(c -> c.sqe().fabricsCommandType())
                .contains(FabricsCommandType.DISCONNECT.code());
        assertThat(controller.commands(2)).extracting(c -> c.sqe().fabricsCommandType())
                .contains(FabricsCommandType.DISCONNECT.code());
        FakeController.Command shutdown = controller.commands(0).stream()
                .filter(c -> c.isFabrics(FabricsCommandType.PROPERTY_SET)).reduce((a, b) -> b).orElseThrow();
        assertThat(ControllerRegisters.ccShn(shutdown.sqe().cdw12())).isEqualTo(1);
        assertThat(ControllerRegisters.ccEnable(shutdown.sqe().cdw12())).isTrue();
        assertThat(names.getLast()).isEqualTo("PROPERTY_GET");
        Eventually.await("all connections closed", () -> controller.open.get() == 0);
    }

    @Test
    void closeIsBoundedWhenTheControllerNeverAnswersShutdown() {
        controller.ignoreShutdown = true;
        NvmeTcpHost host = NvmeTcpHost.connect(controller.options().commandTimeout(Duration.ofMillis(300)).build());
        long start = System.nanoTime();
        host.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        Eventually.await("all connections closed", () -> controller.open.get() == 0);
    }

    @Test
    void rejectedConnectFailsWithTheStatusAndClosesEverything() {
        HostOptions options = HostOptions.builder(controller.address(), "nqn.2024-01.org.example:nobody")
                .connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> NvmeTcpHost.connect(options))
                .isInstanceOfSatisfying(NvmeStatusException.class, e ->
                        assertThat(e.is(StatusCode.CONNECT_INVALID_PARAMETERS)).isTrue());
        Eventually.await("connection closed", () -> controller.open.get() == 0);
    }

    @Test
    void refusedConnectionIsATransportError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        HostOptions options = HostOptions.builder(new InetSocketAddress("127.0.0.1", port), FakeController.SUBNQN).build();
        assertThatThrownBy(() -> NvmeTcpHost.connect(options)).isInstanceOf(NvmeTransportException.class)
                .hasMessageContaining("cannot connect");
    }

    @ParameterizedTest(name = "hdgst={0} ddgst={1} cpda={2}")
    @CsvSource({"false,false,0", "true,false,0", "false,true,0", "true,true,0", "true,true,3"})
    void icExchangeNegotiatesDigestsAndAlignment(boolean hdgst, boolean ddgst, int cpda) throws Exception {
        controller.cpda = cpda;
        controller.fillPattern();
        HostOptions options = controller.options().headerDigest(hdgst).dataDigest(ddgst).build();
        try (NvmeTcpHost host = NvmeTcpHost.connect(options)) {
            assertThat(controller.icReqs).allSatisfy(ic -> {
                assertThat(ic.headerDigest()).isEqualTo(hdgst);
                assertThat(ic.dataDigest()).isEqualTo(ddgst);
                assertThat(ic.maxr2t()).isZero();
                assertThat(ic.hpda()).isZero();
            });
            // Both directions use the digests: a write by R2T, an in-capsule write and a read all work.
            host.write(0, 1, 0, io.netty.buffer.Unpooled.wrappedBuffer(new byte[64 * 1024]), 512, false).get();
            host.write(0, 1, 200, io.netty.buffer.Unpooled.wrappedBuffer(new byte[512]), 512, false).get();
            io.netty.buffer.ByteBuf data = host.read(0, 1, 300, 40, 512).get();
            try {
                byte[] bytes = new byte[data.readableBytes()];
                data.getBytes(data.readerIndex(), bytes);
                assertThat(bytes).isEqualTo(controller.mediaRange(300, 40));
            } finally {
                data.release();
            }
        }
        assertThat(controller.violations).isEmpty();
        assertThat(controller.hostTermReqs).isEmpty();
    }
}
