package org.copyoffload.initiator.nvme;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Random;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduEncoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpSettings;
import org.copyoffload.protocol.nvme.tcp.PduType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrafficCountersTest {

    @ParameterizedTest(name = "hdgst={0} ddgst={1}")
    @CsvSource({"false,false", "true,true"})
    void countersAddUpToTheBytesOnTheWire(boolean hdgst, boolean ddgst) throws Exception {
        try (FakeController controller = new FakeController()) {
            controller.maxH2cData = 4096;
            controller.c2hChunk = 3000;
            HostOptions options = controller.options().headerDigest(hdgst).dataDigest(ddgst).build();
            NvmeTcpHost host = NvmeTcpHost.connect(options);
            try {
                host.write(0, 1, 0, Unpooled.wrappedBuffer(new byte[20 * 512]), 512, false).get();
                host.write(0, 1, 0, Unpooled.wrappedBuffer(new byte[2 * 512]), 512, false).get();
                host.read(0, 1, 0, 17, 512).get().release();
                host.flush(0, 1).get();

                TrafficSnapshot total = host.traffic().snapshot();
                assertThat(total.bytesSent()).isEqualTo(controller.wireIn.get());
                assertThat(total.bytesReceived()).isEqualTo(controller.wireOut.get());
                assertThat(host.adminTraffic().snapshot().plus(host.ioTraffic(0).snapshot())).isEqualTo(total);

                int digest = 4;
                int hd = hdgst ? digest : 0;
                int dd = ddgst ? digest : 0;
                assertThat(total.sent(PduType.IC_REQ)).isEqualTo(new TrafficSnapshot.Tally(2, 256));
                assertThat(total.received(PduType.IC_RESP)).isEqualTo(new TrafficSnapshot.Tally(2, 256));
                long capsuleBytes = controller.commands.stream()
                        .mapToLong(c -> 72 + hd + (c.inCapsuleLength() > 0 ? c.inCapsuleLength() + dd : 0)).sum();
                long inCapsule = controller.commands.stream().mapToLong(c -> c.inCapsuleLength()).sum();
                assertThat(total.sent(PduType.CAPSULE_CMD))
                        .isEqualTo(new TrafficSnapshot.Tally(controller.commands.size(), capsuleBytes, inCapsule));
                long h2cBytes = controller.h2c.stream().mapToLong(h -> 24 + hd + h.dataLength() + dd).sum();
                long h2cData = controller.h2c.stream().mapToLong(h -> h.dataLength()).sum();
                assertThat(h2cData + inCapsule).as("every written byte once, and two Connects' data")
                        .isEqualTo(22 * 512 + 2 * 1024);
                assertThat(total.sent(PduType.H2C_DATA))
                        .isEqualTo(new TrafficSnapshot.Tally(controller.h2c.size(), h2cBytes, h2cData));
                assertThat(total.received(PduType.R2T)).isEqualTo(
                        new TrafficSnapshot.Tally(controller.r2ts.size(), controller.r2ts.size() * (24L + hd)));
                assertThat(total.received(PduType.CAPSULE_RESP).pdus()).isEqualTo(controller.commands.size());
                // 17 blocks in 3000-byte PDUs (3 PDUs), plus 4 KiB Identify Controller in 2.
                assertThat(total.received(PduType.C2H_DATA).pdus()).isEqualTo(3 + 2);
                assertThat(total.received(PduType.C2H_DATA).bytes()).isEqualTo(5 * (24L + hd + dd) + 17 * 512 + 4096);
                assertThat(total.received(PduType.C2H_DATA).dataBytes()).isEqualTo(17 * 512 + 4096);
                assertThat(total.dataBytesReceived()).isEqualTo(17 * 512 + 4096);
                assertThat(total.dataBytesSent()).isEqualTo(22 * 512 + 2 * 1024);
                assertThat(total.sentUnknown()).isEqualTo(TrafficSnapshot.Tally.ZERO);

                TrafficSnapshot before = host.traffic().snapshot();
                host.flush(0, 1).get();
                TrafficSnapshot one = host.traffic().snapshot().minus(before);
                assertThat(one.sent(PduType.CAPSULE_CMD)).isEqualTo(new TrafficSnapshot.Tally(1, 72 + hd));
                assertThat(one.received(PduType.CAPSULE_RESP)).isEqualTo(new TrafficSnapshot.Tally(1, 24 + hd));
                assertThat(one.pdusSent()).isEqualTo(1);
            } finally {
                host.close();
            }
        }
    }

    @Test
    void streamCounterFollowsPduBoundariesHoweverTheStreamIsCut() {
        NvmeTcpSettings settings = new NvmeTcpSettings(true, 1 << 20, 1 << 20);
        settings.negotiated(true, true, 0);
        ByteBufAllocator alloc = io.netty.buffer.UnpooledByteBufAllocator.DEFAULT;
        List<NvmeTcpPdu> pdus = List.of(
                new NvmeTcpPdu.IcResp(0, 0, true, true, 8192),
                new NvmeTcpPdu.CapsuleResp(new CompletionQueueEntry(0, 0, 1, 1, 3, NvmeStatus.SUCCESS)),
                new NvmeTcpPdu.C2hData(3, 0, false, false, Unpooled.wrappedBuffer(new byte[1000]), true),
                new NvmeTcpPdu.C2hData(3, 1000, true, false, Unpooled.wrappedBuffer(new byte[7]), true),
                new NvmeTcpPdu.R2t(4, 1, 0, 4096));
        ByteBuf stream = Unpooled.buffer();
        for (NvmeTcpPdu pdu : pdus) {
            ByteBuf encoded = NvmeTcpPduEncoder.encode(alloc, pdu, settings);
            stream.writeBytes(encoded);
            encoded.release();
            if (pdu instanceof NvmeTcpPdu.WithData d) {
                d.release();
            }
        }
        stream.writeBytes(new byte[] {(byte) 0xEE, 0, 0, 0, 9, 0, 0, 0, 1}); // unknown type, PLEN 9
        Random random = new Random(5);
        for (int round = 0; round < 20; round++) {
            TrafficCounters counters = new TrafficCounters();
            PduStreamCounter counter = new PduStreamCounter(new PduStreamCounter.Sink() {
                @Override
                public void bytes(int bucket, long count) {
                    counters.receivedBytes(bucket, count);
                }

                @Override
                public void data(int bucket, long count) {
                    counters.receivedData(bucket, count);
                }

                @Override
                public void pdu(int bucket) {
                    counters.receivedPdu(bucket);
                }
            });
            for (int at = 0; at < stream.writerIndex(); ) {
                int n = Math.min(round == 0 ? 1 : 1 + random.nextInt(300), stream.writerIndex() - at);
                counter.count(stream.slice(at, n));
                at += n;
            }
            TrafficSnapshot s = counters.snapshot();
            assertThat(s.received(PduType.IC_RESP)).isEqualTo(new TrafficSnapshot.Tally(1, 128));
            assertThat(s.received(PduType.CAPSULE_RESP)).isEqualTo(new TrafficSnapshot.Tally(1, 28));
            assertThat(s.received(PduType.C2H_DATA)).isEqualTo(new TrafficSnapshot.Tally(2, 28 + 1000 + 4 + 28 + 7 + 4, 1007));
            assertThat(s.received(PduType.R2T)).isEqualTo(new TrafficSnapshot.Tally(1, 28));
            assertThat(s.receivedUnknown()).isEqualTo(new TrafficSnapshot.Tally(1, 9));
            assertThat(s.bytesReceived()).isEqualTo(stream.writerIndex());
            assertThat(s.pdusReceived()).isEqualTo(6);
        }
        stream.release();
    }

    @Test
    void queueCountersFeedTheirParent() {
        TrafficCounters host = new TrafficCounters();
        TrafficCounters q1 = new TrafficCounters(host);
        TrafficCounters q2 = new TrafficCounters(host);
        q1.sentPdu(PduType.CAPSULE_CMD.ordinal());
        q1.sentBytes(PduType.CAPSULE_CMD.ordinal(), 72);
        q2.sentPdu(PduType.CAPSULE_CMD.ordinal());
        q2.sentBytes(PduType.CAPSULE_CMD.ordinal(), 80);
        assertThat(host.snapshot().sent(PduType.CAPSULE_CMD)).isEqualTo(new TrafficSnapshot.Tally(2, 152));
        assertThat(q1.snapshot().sent(PduType.CAPSULE_CMD)).isEqualTo(new TrafficSnapshot.Tally(1, 72));
        assertThat(host.snapshot().minus(q1.snapshot())).isEqualTo(q2.snapshot());
        assertThat(TrafficSnapshot.empty().bytesSent()).isZero();
    }
}
