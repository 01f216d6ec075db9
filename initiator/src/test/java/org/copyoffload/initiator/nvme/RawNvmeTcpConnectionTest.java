package org.copyoffload.initiator.nvme;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.protocol.nvme.tcp.PduType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RawNvmeTcpConnectionTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private final FakeController controller = new FakeController();

    @AfterEach
    void stop() {
        controller.close();
    }

    @Test
    void badHeaderDigestIsAnsweredWithTermReqAndClose() {
        try (RawNvmeTcpConnection raw = RawNvmeTcpConnection.open(controller.address(), WAIT)) {
            NvmeTcpPdu.IcResp resp = raw.initialize(true, false, WAIT);
            assertThat(resp.headerDigest()).isTrue();
            ByteBuf capsule = raw.encode(new NvmeTcpPdu.CapsuleCmd(NvmeCommands.keepAlive(), Unpooled.EMPTY_BUFFER, true));
            capsule.setByte(72, capsule.getByte(72) ^ 1);
            raw.send(capsule);
            NvmeTcpPdu.TermReq term = raw.expect(NvmeTcpPdu.TermReq.class, WAIT);
            try {
                assertThat(term.fes()).isEqualTo(FatalErrorStatus.HEADER_DIGEST_ERROR);
                assertThat(term.data().readableBytes()).isEqualTo(72);
            } finally {
                term.release();
            }
            assertThat(raw.awaitPeerClose(WAIT)).isTrue();
            assertThat(raw.isPeerClosed()).isTrue();
        }
    }

    @Test
    void truncatedPduIsSentAsIs() {
        try (RawNvmeTcpConnection raw = RawNvmeTcpConnection.open(controller.address(), WAIT)) {
            raw.initialize(false, false, WAIT);
            ByteBuf capsule = raw.encode(new NvmeTcpPdu.CapsuleCmd(NvmeCommands.keepAlive(), Unpooled.EMPTY_BUFFER, true));
            raw.send(capsule.retainedSlice(0, 40));
            capsule.release();
            assertThat(raw.poll(Duration.ofMillis(100))).isNull();
            assertThat(raw.isPeerClosed()).isFalse();
            assertThat(raw.traffic().snapshot().sent(PduType.CAPSULE_CMD)).isEqualTo(new TrafficSnapshot.Tally(1, 40));
        }
        assertThat(controller.commands).isEmpty();
    }

    @Test
    void handMadeCommandsOnAnIoQueueOfALiveController() {
        controller.fillPattern();
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().ioQueues(0).build());
             RawNvmeTcpConnection raw = RawNvmeTcpConnection.open(controller.address(), WAIT)) {
            raw.initialize(false, true, WAIT);
            CompletionQueueEntry connected = raw.connect(1, 32, host.controllerId(), host.options(), WAIT);
            assertThat(connected.status().isSuccess()).isTrue();
            raw.send(new NvmeTcpPdu.CapsuleCmd(NvmeCommands.read(1, 3, 1).withCid(9)
                    .withSgl(SglDescriptor.transport(512)), Unpooled.EMPTY_BUFFER, true));
            NvmeTcpPdu.C2hData data = raw.expect(NvmeTcpPdu.C2hData.class, WAIT);
            try {
                assertThat(data.cccid()).isEqualTo(9);
                assertThat(data.dataDigestValid()).isTrue();
                byte[] bytes = new byte[512];
                data.data().getBytes(0, bytes);
                assertThat(bytes).isEqualTo(controller.mediaRange(3, 1));
            } finally {
                data.release();
            }
            assertThat(raw.expect(NvmeTcpPdu.CapsuleResp.class, WAIT).cqe().cid()).isEqualTo(9);
            assertThat(controller.commands(1)).extracting(c -> c.sqe().opcode()).contains(NvmOpcode.READ.code());
        }
    }
}
