package org.copyoffload.server;

import org.copyoffload.testsupport.LeakDetectionExtension;
import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.Nvme.assertStatus;
import static org.copyoffload.server.TestServer.NS_4K;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeCommands;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.RawNvmeTcpConnection;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.ConnectCommand;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.identify.IdentifyController;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.protocol.nvme.tcp.PduFlags;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The NVMe/TCP transport (NVMe/TCP 1.1, 3): connection setup, digests, malformed PDUs and the C2HTermReq
 * each one earns, R2T/H2CData checks, command ids, SQ head and SQ flow control. After every fatal error
 * the other connections and the data on disk must be unharmed.
 */
@ExtendWith(LeakDetectionExtension.class)
class NvmeTcpTransportTest {
    @RegisterExtension
    static final TargetServerExtension target = TargetServerExtension.defaults();
    static TestServer server;
    /** A host that keeps working through every test: the "other connection". */
    static NvmeTcpHost bystander;
    /** A controller without I/O queues of its own, whose granted queues the raw I/O queues use. */
    static NvmeTcpHost owner;
    static final AtomicInteger nextQid = new AtomicInteger(1);
    static long sentinelLba;
    static byte[] sentinel;

    @BeforeAll
    static void start() {
        server = target.server();
        bystander = target.closeAfterClass(server.connect(1));
        owner = target.closeAfterClass(server.connect(0));
        int granted = owner.setFeatures(NvmeCommands.FID_NUMBER_OF_QUEUES,
                ((TestServer.MAX_IO_QUEUES - 1) << 16) | (TestServer.MAX_IO_QUEUES - 1));
        assertThat(granted & 0xFFFF).isEqualTo(TestServer.MAX_IO_QUEUES - 1);
        sentinelLba = server.allocate(NS_4K, 4);
        sentinel = TestServer.randomBytes(new Random(1), 4 * 4096);
        Nvme.write(bystander, NS_4K, sentinelLba, sentinel, false);
    }

    /** The bystander's connection and data survived, and its I/O queue still works. */
    static void assertUnharmed() {
        assertThat(Nvme.read(bystander, NS_4K, sentinelLba, 4)).isEqualTo(sentinel);
        assertThat(bystander.identifyController().cntlid()).isEqualTo(bystander.controllerId());
    }

    static RawQueue rawIo(int queueSize, int cattr, boolean headerDigest, boolean dataDigest) {
        return RawQueue.io(server, owner.options(), owner.controllerId(), nextQid.getAndIncrement(), queueSize, cattr,
                headerDigest, dataDigest);
    }

    /** A PDU's bytes as the connection would send them, in a buffer the test may change. */
    static ByteBuf encoded(RawNvmeTcpConnection conn, NvmeTcpPdu pdu) {
        ByteBuf e = conn.encode(pdu);
        try {
            return Unpooled.copiedBuffer(e);
        } finally {
            e.release();
        }
    }

    static NvmeTcpPdu.CapsuleCmd keepAliveCapsule(int cid) {
        return new NvmeTcpPdu.CapsuleCmd(NvmeCommands.keepAlive().withCid(cid).withSgl(SglDescriptor.transport(0)),
                Unpooled.EMPTY_BUFFER, true);
    }

    static NvmeTcpPdu.CapsuleCmd connectCapsule(HostOptions id) {
        return new NvmeTcpPdu.CapsuleCmd(RawQueue.connectSqe(0, 0, 31, 0, 0),
                RawQueue.connectData(id, ConnectData.DYNAMIC_CONTROLLER, id.subsystemNqn()), true);
    }

    // ---- ICReq / ICResp and digests ----

    @Test
    void icRespAnswersWithWhatTheHostAskedFor() {
        try (RawNvmeTcpConnection c = server.raw()) {
            NvmeTcpPdu.IcResp r = c.initialize(false, false, RawQueue.WAIT);
            assertThat(r).isEqualTo(new NvmeTcpPdu.IcResp(0, 0, false, false, 131072));
        }
        try (RawNvmeTcpConnection c = server.raw()) {
            NvmeTcpPdu.IcResp r = c.initialize(true, true, RawQueue.WAIT);
            assertThat(r).isEqualTo(new NvmeTcpPdu.IcResp(0, 0, true, true, 131072));
        }
    }

    @ParameterizedTest(name = "header digest {0}, data digest {1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void ioWorksWithAndWithoutDigests(boolean headerDigest, boolean dataDigest) {
        HostOptions options = server.options(TestServer.NQN).ioQueues(1).headerDigest(headerDigest).dataDigest(dataDigest).build();
        try (NvmeTcpHost host = server.connect(options)) {
            Random random = new Random(headerDigest ? 11 : 12 + (dataDigest ? 2 : 0));
            // In-capsule (8 KiB), by R2T in several H2CData PDUs (256 KiB), and MDTS (1 MiB).
            for (int blocks : new int[] {2, 64, 256}) {
                long lba = server.allocate(NS_4K, blocks);
                byte[] data = TestServer.randomBytes(random, blocks * 4096);
                Nvme.write(host, NS_4K, lba, data, false);
                assertThat(Nvme.read(host, NS_4K, lba, blocks)).isEqualTo(data);
                assertThat(Nvme.read(bystander, NS_4K, lba, blocks)).isEqualTo(data);
            }
            assertThat(host.identifyController().subnqn()).isEqualTo(TestServer.NQN);
        }
    }

    @ParameterizedTest(name = "HPDA {0}, data digest {1}")
    @CsvSource({"3, false", "31, false", "31, true"})
    void readDataIsPaddedToTheHostsPduDataAlignment(int hpda, boolean dataDigest) {
        long lba = server.allocate(NS_4K, 2);
        byte[] data = TestServer.randomBytes(new Random(hpda), 8192);
        Nvme.write(bystander, NS_4K, lba, data, false);
        // Admin queue (Identify: buffer data) and an I/O queue (Read: file data unless digested), both with HPDA.
        HostOptions id = server.options(TestServer.NQN).build();
        try (RawQueue admin = new RawQueue(server.raw())) {
            admin.conn().send(new NvmeTcpPdu.IcReq(0, hpda, false, dataDigest, 0));
            NvmeTcpPdu.IcResp resp = admin.conn().expect(NvmeTcpPdu.IcResp.class, RawQueue.WAIT);
            assertThat(resp.cpda()).isZero();
            assertThat(admin.connect(RawQueue.connectSqe(0, 0, 31, 0, 0),
                    RawQueue.connectData(id, ConnectData.DYNAMIC_CONTROLLER, TestServer.NQN)).status()).isEqualTo(NvmeStatus.SUCCESS);
            admin.enable();
            byte[] identify = admin.readData(Nvme.identify(Cns.CONTROLLER, 0, 0).withCid(2), 4096);
            assertThat(IdentifyController.decode(Unpooled.wrappedBuffer(identify)).cntlid()).isEqualTo(admin.cntlid());
            assertThat(admin.command(Nvme.setFeatures(NvmeCommands.FID_NUMBER_OF_QUEUES, 0, false).withCid(3)).status())
                    .isEqualTo(NvmeStatus.SUCCESS);
            try (RawQueue io = new RawQueue(server.raw())) {
                io.conn().send(new NvmeTcpPdu.IcReq(0, hpda, false, dataDigest, 0));
                io.conn().expect(NvmeTcpPdu.IcResp.class, RawQueue.WAIT);
                assertThat(io.connect(RawQueue.connectSqe(0, 1, 31, 0, 0),
                        RawQueue.connectData(id, admin.cntlid(), TestServer.NQN)).status()).isEqualTo(NvmeStatus.SUCCESS);
                assertThat(io.readData(Nvme.read(NS_4K, lba, 2).withCid(1), 8192)).isEqualTo(data);
                // The C2HData PDU's data starts at PDO, the first multiple of (HPDA + 1) * 4 past the header; the
                // padding counts as header, the data alone as data.
                int align = (hpda + 1) * 4;
                int pdo = (24 + align - 1) / align * align;
                assertThat(io.conn().traffic().snapshot().received(org.copyoffload.protocol.nvme.tcp.PduType.C2H_DATA))
                        .isEqualTo(new org.copyoffload.initiator.nvme.TrafficSnapshot.Tally(1,
                                pdo + 8192 + (dataDigest ? 4 : 0), 8192));
            }
        }
    }

    // ---- framing ----

    @Test
    void aTruncatedPduWaitsForItsRest() {
        try (RawQueue q = new RawQueue(server.rawInitialized(false, false))) {
            ByteBuf pdu = encoded(q.conn(), connectCapsule(server.options(TestServer.NQN).build()));
            int total = pdu.readableBytes();
            // Split inside the common header, inside the SQE, and inside the data.
            for (int[] part : new int[][] {{0, 5}, {5, 40}, {40, 600}}) {
                q.conn().send(pdu.retainedSlice(part[0], part[1] - part[0]));
                q.expectNothing();
            }
            q.conn().send(pdu.retainedSlice(600, total - 600));
            pdu.release();
            CompletionQueueEntry cqe = q.response();
            assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
        }
        assertUnharmed();
    }

    @Test
    void aTruncatedPduThenCloseLeavesTheTargetServing() {
        double before = server.connections();
        RawQueue q = new RawQueue(server.rawInitialized(false, false));
        ByteBuf pdu = encoded(q.conn(), connectCapsule(server.options(TestServer.NQN).build()));
        q.conn().send(pdu.retainedSlice(0, 100));
        pdu.release();
        q.expectNothing();
        q.close();
        TestServer.eventually("the target forgets the connection", RawQueue.WAIT, () -> server.connections() == before);
        assertUnharmed();
    }

    /** One malformed PDU: how to build it on an initialized connection and what the target must answer. */
    record Malformed(String name, Function<RawNvmeTcpConnection, ByteBuf> bytes, FatalErrorStatus fes, int fei) {
        @Override
        public String toString() {
            return name;
        }
    }

    static ByteBuf header(int type, int flags, int hlen, int pdo, long plen) {
        ByteBuf b = Unpooled.buffer(hlen);
        b.writeZero(hlen);
        b.setByte(0, type).setByte(1, flags).setByte(2, hlen).setByte(3, pdo).setIntLE(4, (int) plen);
        return b;
    }

    static ByteBuf withByte(ByteBuf b, int index, int value) {
        b.setByte(index, value);
        return b;
    }

    static NvmeTcpPdu.CapsuleCmd capsuleWithData(int bytes) {
        ByteBuf data = Unpooled.buffer(bytes).writeZero(bytes);
        return new NvmeTcpPdu.CapsuleCmd(NvmeCommands.keepAlive().withSgl(SglDescriptor.inCapsule(bytes)), data, true);
    }

    static Stream<Malformed> malformedPdus() {
        FatalErrorStatus invalid = FatalErrorStatus.INVALID_PDU_HEADER_FIELD;
        CompletionQueueEntry cqe = new CompletionQueueEntry(0, 0, 0, 0, 0, NvmeStatus.SUCCESS);
        return Stream.of(
                new Malformed("HLEN 64 on a CapsuleCmd", c -> withByte(encoded(c, keepAliveCapsule(1)), 2, 64), invalid, 2),
                new Malformed("unknown PDU type 0Ah", c -> header(0x0A, 0, 24, 0, 24), invalid, 0),
                new Malformed("unknown PDU type 0Fh", c -> header(0x0F, 0, 24, 0, 24), invalid, 0),
                new Malformed("ICResp from the host", c -> encoded(c, new NvmeTcpPdu.IcResp(0, 0, false, false, 4096)), invalid, 0),
                new Malformed("C2HTermReq from the host", c -> header(0x03, 0, 24, 0, 24), invalid, 0),
                new Malformed("CapsuleResp from the host", c -> encoded(c, new NvmeTcpPdu.CapsuleResp(cqe)), invalid, 0),
                new Malformed("C2HData from the host", c -> encoded(c, new NvmeTcpPdu.C2hData(1, 0, true, false,
                        Unpooled.buffer(4).writeZero(4), true)), invalid, 0),
                new Malformed("R2T from the host", c -> encoded(c, new NvmeTcpPdu.R2t(1, 1, 0, 4096)), invalid, 0),
                new Malformed("LAST_PDU on a CapsuleCmd", c -> withByte(encoded(c, keepAliveCapsule(1)), 1, PduFlags.LAST_PDU), invalid, 1),
                new Malformed("SUCCESS on a CapsuleCmd", c -> withByte(encoded(c, keepAliveCapsule(1)), 1, PduFlags.SUCCESS), invalid, 1),
                new Malformed("HDGSTF without a negotiated header digest",
                        c -> withByte(encoded(c, keepAliveCapsule(1)), 1, PduFlags.HEADER_DIGEST), invalid, 1),
                new Malformed("DDGSTF without a negotiated data digest",
                        c -> withByte(encoded(c, capsuleWithData(16)), 1, PduFlags.DATA_DIGEST), invalid, 1),
                new Malformed("PDO inside the header", c -> withByte(encoded(c, capsuleWithData(16)), 3, 8), invalid, 3),
                new Malformed("PLEN shorter than the header", c -> {
                    ByteBuf b = encoded(c, keepAliveCapsule(1));
                    return b.setIntLE(4, 60);
                }, invalid, 4),
                new Malformed("PLEN beyond the in-capsule data limit",
                        c -> header(0x04, 0, 72, 72, 72 + TestServer.IN_CAPSULE + 16), FatalErrorStatus.DATA_TRANSFER_LIMIT_EXCEEDED, 4),
                new Malformed("H2CData beyond MAXH2CDATA",
                        c -> header(0x06, 0, 24, 24, 24 + 131072 + 4), FatalErrorStatus.DATA_TRANSFER_LIMIT_EXCEEDED, 4),
                new Malformed("H2CData with DATAL unlike its data", c -> {
                    ByteBuf b = encoded(c, new NvmeTcpPdu.H2cData(1, 1, 0, true, Unpooled.buffer(8).writeZero(8), true));
                    return b.setIntLE(16, 16);
                }, invalid, 16),
                new Malformed("H2CTermReq longer than 152 bytes", c -> header(0x02, 0, 24, 0, 24 + 129), invalid, 4));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedPdus")
    void aMalformedPduEndsTheConnectionWithC2HTermReq(Malformed m) {
        try (RawQueue q = new RawQueue(server.rawInitialized(false, false))) {
            ByteBuf bytes = m.bytes().apply(q.conn());
            byte[] common = new byte[8];
            bytes.getBytes(bytes.readerIndex(), common);
            q.conn().send(bytes);
            byte[] echoed = q.expectTermination(m.fes(), m.fei());
            // The C2HTermReq carries the offending header (at least its common header).
            assertThat(Arrays.copyOf(echoed, Math.min(8, echoed.length))).isEqualTo(common);
        }
        assertUnharmed();
    }

    @ParameterizedTest(name = "ICReq byte {0} = {1}")
    @CsvSource({
        "8, 1, 8",     // PFV 1
        "10, 32, 10",  // HPDA above 31
        "11, 4, 11",   // DGST reserved bit
        "4, 129, 4",   // PLEN unlike HLEN
        "2, 64, 2",    // HLEN
    })
    void aMalformedIcReqIsAnInvalidPduHeaderField(int offset, int value, int fei) {
        try (RawQueue q = new RawQueue(server.raw())) {
            ByteBuf bytes = encoded(q.conn(), new NvmeTcpPdu.IcReq(0, 0, false, false, 0));
            bytes.setByte(offset, value);
            q.conn().send(bytes);
            q.expectTermination(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, fei);
        }
        assertUnharmed();
    }

    @Test
    void aWrongHeaderDigestIsFatalWithTheReceivedDigestAsFei() {
        try (RawQueue q = new RawQueue(server.rawInitialized(true, false))) {
            ByteBuf bytes = encoded(q.conn(), keepAliveCapsule(1));
            assertThat(bytes.readableBytes()).isEqualTo(72 + 4);
            int wrong = bytes.getIntLE(72) ^ 0x5A5A5A5A;
            bytes.setIntLE(72, wrong);
            q.conn().send(bytes);
            byte[] echoed = q.expectTermination(FatalErrorStatus.HEADER_DIGEST_ERROR, wrong);
            assertThat(echoed.length).isGreaterThanOrEqualTo(72);
        }
        assertUnharmed();
    }

    @Test
    void aHeaderDigestThatMatchesIsAccepted() {
        try (RawQueue q = new RawQueue(server.rawInitialized(true, true))) {
            CompletionQueueEntry cqe = q.connect(RawQueue.connectSqe(0, 0, 31, 0, 0),
                    RawQueue.connectData(server.options(TestServer.NQN).build(), ConnectData.DYNAMIC_CONTROLLER, TestServer.NQN));
            assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
        }
    }

    @Test
    void aWrongDataDigestOnInCapsuleDataFailsOnlyThatCommand() {
        long lba = server.allocate(NS_4K, 1);
        byte[] before = TestServer.randomBytes(new Random(21), 4096);
        Nvme.write(bystander, NS_4K, lba, before, false);
        try (RawQueue q = rawIo(32, 0, false, true)) {
            byte[] other = TestServer.randomBytes(new Random(22), 4096);
            SubmissionQueueEntry write = Nvme.write(NS_4K, lba, 1, false).withCid(3).withSgl(SglDescriptor.inCapsule(4096));
            ByteBuf bytes = encoded(q.conn(), new NvmeTcpPdu.CapsuleCmd(write, TestServer.buffer(other), true));
            int last = bytes.writerIndex() - 1;
            bytes.setByte(last, bytes.getByte(last) ^ 0xFF);
            q.conn().send(bytes);
            CompletionQueueEntry cqe = q.response();
            assertThat(cqe.cid()).isEqualTo(3);
            assertStatus(cqe, StatusCode.TRANSIENT_TRANSPORT_ERROR, false);
            // The connection lives on: the data is unchanged, and a correct write then works.
            assertThat(q.readData(Nvme.read(NS_4K, lba, 1).withCid(4), 4096)).isEqualTo(before);
            CompletionQueueEntry ok = q.command(Nvme.write(NS_4K, lba, 1, false).withCid(5), TestServer.buffer(other));
            assertThat(ok.status()).isEqualTo(NvmeStatus.SUCCESS);
            assertThat(q.readData(Nvme.read(NS_4K, lba, 1).withCid(6), 4096)).isEqualTo(other);
        }
        assertUnharmed();
    }

    @Test
    void aWrongDataDigestOnH2cDataFailsOnlyThatCommand() {
        int length = 64 * 1024;
        long lba = server.allocate(NS_4K, length / 4096);
        byte[] before = TestServer.randomBytes(new Random(23), length);
        Nvme.write(bystander, NS_4K, lba, before, false);
        try (RawQueue q = rawIo(32, 0, true, true)) {
            byte[] other = TestServer.randomBytes(new Random(24), length);
            q.sendExact(Nvme.write(NS_4K, lba, length / 4096, false).withCid(9).withSgl(SglDescriptor.transport(length)), null);
            NvmeTcpPdu.R2t r2t = q.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            assertThat(r2t).isEqualTo(new NvmeTcpPdu.R2t(9, r2t.ttag(), 0, length));
            int half = length / 2;
            q.conn().send(new NvmeTcpPdu.H2cData(9, r2t.ttag(), 0, false, Unpooled.wrappedBuffer(other, 0, half), true));
            ByteBuf second = encoded(q.conn(), new NvmeTcpPdu.H2cData(9, r2t.ttag(), half, true,
                    Unpooled.wrappedBuffer(other, half, half), true));
            int last = second.writerIndex() - 1;
            second.setByte(last, second.getByte(last) ^ 0x01);
            q.conn().send(second);
            CompletionQueueEntry cqe = q.response();
            assertThat(cqe.cid()).isEqualTo(9);
            assertStatus(cqe, StatusCode.TRANSIENT_TRANSPORT_ERROR, false);
            assertThat(q.readData(Nvme.read(NS_4K, lba, length / 4096).withCid(10), length)).isEqualTo(before);
        }
        assertUnharmed();
    }

    // ---- PDU sequence ----

    @Test
    void aCapsuleBeforeIcReqIsAPduSequenceError() {
        try (RawQueue q = new RawQueue(server.raw())) {
            q.conn().send(connectCapsule(server.options(TestServer.NQN).build()));
            q.expectTermination(FatalErrorStatus.PDU_SEQUENCE_ERROR, 0);
        }
        assertUnharmed();
    }

    @Test
    void h2cDataBeforeIcReqIsAPduSequenceError() {
        try (RawQueue q = new RawQueue(server.raw())) {
            q.conn().send(new NvmeTcpPdu.H2cData(1, 1, 0, true, Unpooled.buffer(16).writeZero(16), true));
            q.expectTermination(FatalErrorStatus.PDU_SEQUENCE_ERROR, 0);
        }
        assertUnharmed();
    }

    @Test
    void aSecondIcReqIsAPduSequenceError() {
        try (RawQueue q = new RawQueue(server.rawInitialized(false, false))) {
            q.conn().send(new NvmeTcpPdu.IcReq(0, 0, false, false, 0));
            q.expectTermination(FatalErrorStatus.PDU_SEQUENCE_ERROR, 0);
        }
        assertUnharmed();
    }

    @Test
    void anH2cTermReqFromTheHostClosesTheConnectionWithoutAnswer() {
        try (RawQueue q = new RawQueue(server.rawInitialized(false, false))) {
            q.conn().send(new NvmeTcpPdu.TermReq(true, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 0, Unpooled.EMPTY_BUFFER));
            assertThat(q.conn().awaitPeerClose(RawQueue.WAIT)).isTrue();
            assertThat(q.conn().received()).isEmpty();
        }
        assertUnharmed();
    }

    // ---- R2T and H2CData ----

    enum BadH2cData {
        UNKNOWN_TTAG(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 10),
        WRONG_CCCID(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 8),
        DATAO_PAST_WHAT_WAS_RECEIVED(FatalErrorStatus.DATA_TRANSFER_OUT_OF_RANGE, 12),
        DATA_BEYOND_THE_R2T(FatalErrorStatus.DATA_TRANSFER_OUT_OF_RANGE, 12),
        LAST_PDU_MISSING(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 1),
        LAST_PDU_TOO_EARLY(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 1);

        final FatalErrorStatus fes;
        final int fei;

        BadH2cData(FatalErrorStatus fes, int fei) {
            this.fes = fes;
            this.fei = fei;
        }
    }

    @ParameterizedTest
    @EnumSource(BadH2cData.class)
    void badH2cDataIsFatalAndWritesNothing(BadH2cData bad) {
        int length = 16 * 1024;
        long lba = server.allocate(NS_4K, length / 4096);
        byte[] before = TestServer.randomBytes(new Random(31 + bad.ordinal()), length);
        Nvme.write(bystander, NS_4K, lba, before, false);
        try (RawQueue q = rawIo(32, 0, false, false)) {
            q.sendExact(Nvme.write(NS_4K, lba, length / 4096, false).withCid(5).withSgl(SglDescriptor.transport(length)), null);
            NvmeTcpPdu.R2t r2t = q.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            assertThat(r2t.cccid()).isEqualTo(5);
            assertThat(r2t.r2tOffset()).isZero();
            assertThat(r2t.r2tLength()).isEqualTo(length);
            int ttag = r2t.ttag();
            NvmeTcpPdu.H2cData pdu = switch (bad) {
                case UNKNOWN_TTAG -> new NvmeTcpPdu.H2cData(5, ttag ^ 0x100, 0, true, zeros(length), true);
                case WRONG_CCCID -> new NvmeTcpPdu.H2cData(6, ttag, 0, true, zeros(length), true);
                case DATAO_PAST_WHAT_WAS_RECEIVED -> new NvmeTcpPdu.H2cData(5, ttag, 4096, true, zeros(length - 4096), true);
                case DATA_BEYOND_THE_R2T -> new NvmeTcpPdu.H2cData(5, ttag, 0, true, zeros(length + 4096), true);
                case LAST_PDU_MISSING -> new NvmeTcpPdu.H2cData(5, ttag, 0, false, zeros(length), true);
                case LAST_PDU_TOO_EARLY -> new NvmeTcpPdu.H2cData(5, ttag, 0, true, zeros(length / 2), true);
            };
            q.conn().send(pdu);
            q.expectTermination(bad.fes, bad.fei);
        }
        assertThat(Nvme.read(bystander, NS_4K, lba, length / 4096)).isEqualTo(before);
        assertUnharmed();
    }

    static ByteBuf zeros(int n) {
        return Unpooled.buffer(n).writeZero(n);
    }

    /**
     * The target keeps the PDUs' payloads as they came and writes them with one gathering write: however the host cuts
     * the data (odd sizes; more pieces than one pwritev takes), every byte lands in its place.
     */
    @ParameterizedTest
    @ValueSource(ints = {16 * 1024, 4096, 333, 100})
    void anR2tWriteInSeveralH2cDataPdusLandsWhole(int piece) {
        int length = piece == 100 ? 128 * 1024 : 48 * 1024;
        long lba = server.allocate(NS_4K, length / 4096);
        byte[] data = TestServer.randomBytes(new Random(41 + piece), length);
        try (RawQueue q = rawIo(32, 0, false, false)) {
            q.sendExact(Nvme.write(NS_4K, lba, length / 4096, piece % 2 == 0).withCid(1)
                    .withSgl(SglDescriptor.transport(length)), null);
            NvmeTcpPdu.R2t r2t = q.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            for (int at = 0; at < length; at += piece) {
                int n = Math.min(piece, length - at);
                q.conn().send(new NvmeTcpPdu.H2cData(1, r2t.ttag(), at, at + n == length,
                        Unpooled.wrappedBuffer(data, at, n), true));
            }
            assertThat(q.response().status()).isEqualTo(NvmeStatus.SUCCESS);
        }
        assertThat(Nvme.read(bystander, NS_4K, lba, length / 4096)).isEqualTo(data);
    }

    // ---- SGLs ----

    /** One way to describe a 1-block write's data wrongly, and the status it earns. */
    record BadSgl(String name, int flags, SglDescriptor sgl, int capsuleBytes, StatusCode status) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<BadSgl> badSgls() {
        return Stream.of(
                new BadSgl("PRPs (PSDT 0)", 0x00, SglDescriptor.inCapsule(4096), 4096, StatusCode.INVALID_FIELD_IN_COMMAND),
                new BadSgl("Data Block with an address", 0x40, new SglDescriptor(0, 4096, 0, 0x00), 4096,
                        StatusCode.SGL_DESCRIPTOR_TYPE_INVALID),
                new BadSgl("Keyed SGL Data Block", 0x40, new SglDescriptor(0, 4096, 0, 0x40), 0,
                        StatusCode.SGL_DESCRIPTOR_TYPE_INVALID),
                new BadSgl("Last Segment descriptor", 0x40, new SglDescriptor(0, 16, 0, 0x30), 0,
                        StatusCode.SGL_DESCRIPTOR_TYPE_INVALID),
                new BadSgl("in-capsule offset past the data", 0x40, new SglDescriptor(4097, 4096, 0, SglDescriptor.IN_CAPSULE),
                        4096, StatusCode.SGL_OFFSET_INVALID),
                new BadSgl("in-capsule offset plus length past the data", 0x40,
                        new SglDescriptor(2048, 4096, 0, SglDescriptor.IN_CAPSULE), 4096, StatusCode.DATA_SGL_LENGTH_INVALID),
                new BadSgl("in-capsule length past the data", 0x40, SglDescriptor.inCapsule(8192), 4096,
                        StatusCode.DATA_SGL_LENGTH_INVALID),
                new BadSgl("a transport SGL with in-capsule data", 0x40, SglDescriptor.transport(4096), 4096,
                        StatusCode.INVALID_FIELD_IN_COMMAND));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSgls")
    void aWrongSglFailsTheCommandAndNothingElse(BadSgl bad) {
        long lba = server.allocate(NS_4K, 1);
        byte[] before = TestServer.randomBytes(new Random(81), 4096);
        Nvme.write(bystander, NS_4K, lba, before, false);
        try (RawQueue q = rawIo(32, 0, false, false)) {
            SubmissionQueueEntry w = Nvme.write(NS_4K, lba, 1, false);
            SubmissionQueueEntry sqe = new SubmissionQueueEntry(w.opcode(), bad.flags(), 3, w.nsid(), 0, 0, 0, bad.sgl(),
                    w.cdw10(), w.cdw11(), w.cdw12(), 0, 0, 0);
            q.sendExact(sqe, bad.capsuleBytes() == 0 ? null : zeros(bad.capsuleBytes()));
            CompletionQueueEntry cqe = q.response();
            assertThat(cqe.cid()).isEqualTo(3);
            assertStatus(cqe, bad.status(), true);
            assertThat(q.command(Nvme.flush(NS_4K).withCid(4)).status()).isEqualTo(NvmeStatus.SUCCESS);
        }
        assertThat(Nvme.read(bystander, NS_4K, lba, 1)).isEqualTo(before);
    }

    @Test
    void inCapsuleDataForAReadIsSglDescriptorTypeInvalid() {
        try (RawQueue q = rawIo(32, 0, false, false)) {
            q.sendExact(Nvme.read(NS_4K, 0, 1).withCid(1).withSgl(SglDescriptor.inCapsule(4096)), zeros(4096));
            assertStatus(q.response(), StatusCode.SGL_DESCRIPTOR_TYPE_INVALID, true);
            assertThat(q.readData(Nvme.read(NS_4K, 0, 1).withCid(2), 4096)).hasSize(4096);
        }
    }

    @Test
    void anInCapsuleSglOffsetSelectsWhereTheDataStarts() {
        long lba = server.allocate(NS_4K, 1);
        byte[] capsule = TestServer.randomBytes(new Random(82), 8192);
        try (RawQueue q = rawIo(32, 0, false, false)) {
            SubmissionQueueEntry sqe = Nvme.write(NS_4K, lba, 1, false).withCid(1)
                    .withSgl(new SglDescriptor(4096, 4096, 0, SglDescriptor.IN_CAPSULE));
            q.sendExact(sqe, TestServer.buffer(capsule));
            assertThat(q.response().status()).isEqualTo(NvmeStatus.SUCCESS);
        }
        assertThat(Nvme.read(bystander, NS_4K, lba, 1)).isEqualTo(Arrays.copyOfRange(capsule, 4096, 8192));
    }

    // ---- command ids and queue accounting ----

    @Test
    void aCidAlreadyInFlightGetsCommandIdConflictAndTheFirstCommandStillCompletes() {
        int length = 16 * 1024;
        long lba = server.allocate(NS_4K, length / 4096);
        byte[] data = TestServer.randomBytes(new Random(51), length);
        try (RawQueue q = rawIo(32, 0, false, false)) {
            q.sendExact(Nvme.write(NS_4K, lba, length / 4096, false).withCid(7).withSgl(SglDescriptor.transport(length)), null);
            NvmeTcpPdu.R2t r2t = q.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT);
            // CID 7 is in flight (waiting for its data): a read with the same CID is refused.
            q.sendExact(Nvme.read(NS_4K, lba, 1).withCid(7).withSgl(SglDescriptor.transport(4096)), null);
            CompletionQueueEntry conflict = q.response();
            assertThat(conflict.cid()).isEqualTo(7);
            assertStatus(conflict, StatusCode.COMMAND_ID_CONFLICT, true);
            q.conn().send(new NvmeTcpPdu.H2cData(7, r2t.ttag(), 0, true, TestServer.buffer(data), true));
            CompletionQueueEntry done = q.response();
            assertThat(done.cid()).isEqualTo(7);
            assertThat(done.status()).isEqualTo(NvmeStatus.SUCCESS);
            assertThat(q.readData(Nvme.read(NS_4K, lba, length / 4096).withCid(7), length)).isEqualTo(data);
        }
        assertUnharmed();
    }

    @Test
    void moreCommandsInFlightThanTheQueueHoldsIsFatal() {
        int size = 4;
        long lba = server.allocate(NS_4K, size);
        byte[] before = TestServer.randomBytes(new Random(61), size * 4096);
        Nvme.write(bystander, NS_4K, lba, before, false);
        try (RawQueue q = rawIo(size, 0, false, false)) {
            // SQSIZE + 1 = 4 commands may be outstanding: four writes wait for their data.
            for (int cid = 1; cid <= size; cid++) {
                q.sendExact(Nvme.write(NS_4K, lba + cid - 1, 1, false).withCid(cid).withSgl(SglDescriptor.transport(4096)), null);
                assertThat(q.conn().expect(NvmeTcpPdu.R2t.class, RawQueue.WAIT).cccid()).isEqualTo(cid);
            }
            q.sendExact(Nvme.flush(NS_4K).withCid(size + 1), null);
            q.expectTermination(FatalErrorStatus.PDU_SEQUENCE_ERROR, 0);
        }
        assertThat(Nvme.read(bystander, NS_4K, lba, size)).isEqualTo(before);
        assertUnharmed();
    }

    @Test
    void sqHeadAdvancesModuloTheQueueSize() {
        try (RawQueue q = new RawQueue(server.rawInitialized(false, false))) {
            // SQSIZE 3: four entries. Connect took entry 0, so the head is 1 after it.
            CompletionQueueEntry connect = q.connect(RawQueue.connectSqe(0, nextQid.getAndIncrement(), 3, 0, 0),
                    RawQueue.connectData(owner.options(), owner.controllerId(), TestServer.NQN));
            assertThat(connect.status()).isEqualTo(NvmeStatus.SUCCESS);
            assertThat(connect.sqHead()).isEqualTo(1);
            int[] expected = {2, 3, 0, 1, 2, 3, 0, 1};
            for (int i = 0; i < expected.length; i++) {
                CompletionQueueEntry cqe = q.command(Nvme.flush(NS_4K).withCid(i));
                assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
                assertThat(cqe.sqHead()).as("SQHD after command %d", i + 1).isEqualTo(expected[i]);
                assertThat(cqe.sqId()).isEqualTo(connect.sqId());
            }
        }
    }

    @ParameterizedTest(name = "data digest {0}")
    @ValueSource(booleans = {false, true})
    void c2hDataCarriesSuccessOnlyWhenTheHostDisabledSqFlowControl(boolean dataDigest) {
        long lba = server.allocate(NS_4K, 2);
        byte[] data = TestServer.randomBytes(new Random(71), 8192);
        Nvme.write(bystander, NS_4K, lba, data, false);
        // Flow control on: C2HData without SUCCESS, then a CapsuleResp with SQHD.
        try (RawQueue q = rawIo(32, 0, false, dataDigest)) {
            q.sendExact(Nvme.read(NS_4K, lba, 2).withCid(1).withSgl(SglDescriptor.transport(8192)), null);
            NvmeTcpPdu.C2hData d = q.conn().expect(NvmeTcpPdu.C2hData.class, RawQueue.WAIT);
            assertThat(d.last()).isTrue();
            assertThat(d.success()).isFalse();
            assertThat(TestServer.bytesOf(d.data().retain())).isEqualTo(data);
            d.release();
            CompletionQueueEntry cqe = q.response();
            assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
            assertThat(cqe.sqHead()).isEqualTo(2);
        }
        // CATTR bit 2: SUCCESS on the last C2HData replaces the CapsuleResp; SQHD is not reported.
        try (RawQueue q = rawIo(32, ConnectCommand.CATTR_DISABLE_SQ_FLOW_CONTROL, false, dataDigest)) {
            q.sendExact(Nvme.read(NS_4K, lba, 2).withCid(1).withSgl(SglDescriptor.transport(8192)), null);
            NvmeTcpPdu.C2hData d = q.conn().expect(NvmeTcpPdu.C2hData.class, RawQueue.WAIT);
            assertThat(d.last()).isTrue();
            assertThat(d.success()).isTrue();
            assertThat(TestServer.bytesOf(d.data().retain())).isEqualTo(data);
            d.release();
            q.expectNothing();
            // A failed read still gets a CapsuleResp; commands without data too.
            q.sendExact(Nvme.read(NS_4K, TestServer.blockCount(NS_4K), 1).withCid(2).withSgl(SglDescriptor.transport(4096)), null);
            CompletionQueueEntry failed = q.response();
            assertStatus(failed, StatusCode.LBA_OUT_OF_RANGE, true);
            CompletionQueueEntry flush = q.command(Nvme.flush(NS_4K).withCid(3));
            assertThat(flush.status()).isEqualTo(NvmeStatus.SUCCESS);
            assertThat(flush.sqHead()).isZero();
        }
        // An admin-queue Identify (buffer data, not file data) behaves the same way.
        try (RawQueue q = new RawQueue(server.rawInitialized(false, dataDigest))) {
            HostOptions id = server.options(TestServer.NQN).build();
            CompletionQueueEntry c = q.connect(RawQueue.connectSqe(0, 0, 31, ConnectCommand.CATTR_DISABLE_SQ_FLOW_CONTROL, 0),
                    RawQueue.connectData(id, ConnectData.DYNAMIC_CONTROLLER, TestServer.NQN));
            assertThat(c.status()).isEqualTo(NvmeStatus.SUCCESS);
            q.enable();
            q.sendExact(Nvme.identify(Cns.CONTROLLER, 0, 0).withCid(4).withSgl(SglDescriptor.transport(4096)), null);
            NvmeTcpPdu.C2hData d = q.conn().expect(NvmeTcpPdu.C2hData.class, RawQueue.WAIT);
            assertThat(d.success()).isTrue();
            assertThat(IdentifyController.decode(d.data()).cntlid()).isEqualTo(q.cntlid());
            d.release();
            q.expectNothing();
        }
    }
}
