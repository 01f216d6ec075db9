package org.copyoffload.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.RawNvmeTcpConnection;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.ConnectCommand;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.protocol.nvme.fabrics.PropertyCommand;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;

/**
 * One queue driven PDU by PDU over a {@link RawNvmeTcpConnection}: the test picks CIDs, SGLs and the
 * order of everything, and sees every PDU the target sends.
 */
public final class RawQueue implements AutoCloseable {
    public static final Duration WAIT = TestServer.TIMEOUT;
    /** Long enough to be sure nothing is coming. */
    public static final Duration QUIET = Duration.ofMillis(300);

    private final RawNvmeTcpConnection conn;
    private int cntlid = -1;

    public RawQueue(RawNvmeTcpConnection conn) {
        this.conn = conn;
    }

    public RawNvmeTcpConnection conn() {
        return conn;
    }

    public int cntlid() {
        return cntlid;
    }

    // ---- connecting ----

    public static SubmissionQueueEntry connectSqe(int recfmt, int qid, int sqsize, int cattr, int kato) {
        return new ConnectCommand(recfmt, qid, sqsize, cattr, kato).toSqe(0);
    }

    public static ByteBuf connectData(HostOptions id, int cntlid, String subnqn) {
        return connectData(id.hostId(), cntlid, subnqn, id.hostNqn());
    }

    public static ByteBuf connectData(byte[] hostId, int cntlid, String subnqn, String hostNqn) {
        ByteBuf b = Unpooled.buffer(ConnectData.SIZE);
        new ConnectData(hostId, cntlid, subnqn, hostNqn).encode(b);
        return b;
    }

    /** Sends Connect with the given SQE and data in the capsule; returns the response. */
    public CompletionQueueEntry connect(SubmissionQueueEntry sqe, ByteBuf data) {
        CompletionQueueEntry cqe = command(sqe, data);
        if (cqe.status().isSuccess()) {
            cntlid = cqe.dw0() & 0xFFFF;
        }
        return cqe;
    }

    /** An admin queue of a new controller of {@code id.subsystemNqn()}, connected (and enabled if asked). */
    public static RawQueue admin(TestServer server, HostOptions id, int queueSize, int kato, boolean enable) {
        RawQueue q = new RawQueue(server.rawInitialized(false, false));
        try {
            CompletionQueueEntry cqe = q.connect(connectSqe(0, 0, queueSize - 1, 0, kato),
                    connectData(id, ConnectData.DYNAMIC_CONTROLLER, id.subsystemNqn()));
            assertThat(cqe.status()).as("admin Connect").isEqualTo(NvmeStatus.SUCCESS);
            if (enable) {
                q.enable();
            }
            return q;
        } catch (RuntimeException | AssertionError e) {
            q.close();
            throw e;
        }
    }

    /** I/O queue {@code qid} of controller {@code cntlid}, connected. */
    public static RawQueue io(TestServer server, HostOptions id, int cntlid, int qid, int queueSize, int cattr,
                              boolean headerDigest, boolean dataDigest) {
        RawQueue q = new RawQueue(server.rawInitialized(headerDigest, dataDigest));
        try {
            CompletionQueueEntry cqe = q.connect(connectSqe(0, qid, queueSize - 1, cattr, 0),
                    connectData(id, cntlid, id.subsystemNqn()));
            assertThat(cqe.status()).as("I/O Connect of QID %d", qid).isEqualTo(NvmeStatus.SUCCESS);
            return q;
        } catch (RuntimeException | AssertionError e) {
            q.close();
            throw e;
        }
    }

    /** CC.EN with 64/16-byte queue entries and the NVM command set, then CSTS.RDY. */
    public void enable() {
        propertySet(ControllerRegisters.CC, ControllerRegisters.cc(true, ControllerRegisters.CC_CSS_NVM, 6, 4));
        assertThat(propertyGet(ControllerRegisters.CSTS, 4) & ControllerRegisters.CSTS_RDY).as("CSTS.RDY").isEqualTo(1);
    }

    // ---- commands ----

    /** Sends a command capsule: in-capsule data when {@code data} is given (SGL set to match), none otherwise. */
    public void send(SubmissionQueueEntry sqe, ByteBuf data) {
        if (data != null) {
            sqe = sqe.withSgl(SglDescriptor.inCapsule(data.readableBytes()));
        }
        conn.send(new NvmeTcpPdu.CapsuleCmd(sqe, data == null ? Unpooled.EMPTY_BUFFER : data, true));
    }

    /** Sends the SQE exactly as given (SGL included) with the given capsule data. */
    public void sendExact(SubmissionQueueEntry sqe, ByteBuf data) {
        conn.send(new NvmeTcpPdu.CapsuleCmd(sqe, data == null ? Unpooled.EMPTY_BUFFER : data, true));
    }

    public CompletionQueueEntry command(SubmissionQueueEntry sqe, ByteBuf data) {
        send(sqe, data);
        return response();
    }

    public CompletionQueueEntry command(SubmissionQueueEntry sqe) {
        return command(sqe, null);
    }

    /** The next PDU, which must be a CapsuleResp. */
    public CompletionQueueEntry response() {
        return conn.expect(NvmeTcpPdu.CapsuleResp.class, WAIT).cqe();
    }

    public long propertyGet(int offset, int size) {
        CompletionQueueEntry cqe = command(new PropertyCommand(false, size, offset, 0).toSqe(0));
        assertThat(cqe.status()).as("Property Get 0x%x", offset).isEqualTo(NvmeStatus.SUCCESS);
        return size == 8 ? cqe.dw01() : Integer.toUnsignedLong(cqe.dw0());
    }

    public void propertySet(int offset, long value) {
        CompletionQueueEntry cqe = command(new PropertyCommand(true, 4, offset, value).toSqe(0));
        assertThat(cqe.status()).as("Property Set 0x%x", offset).isEqualTo(NvmeStatus.SUCCESS);
    }

    /**
     * A read-direction command with a transport SGL of {@code length}: its C2HData in order, then a successful
     * response (none when the last C2HData carries SUCCESS).
     */
    public byte[] readData(SubmissionQueueEntry sqe, int length) {
        sendExact(sqe.withSgl(SglDescriptor.transport(length)), null);
        byte[] out = new byte[length];
        int received = 0;
        boolean success = false;
        while (received < length) {
            NvmeTcpPdu.C2hData d = conn.expect(NvmeTcpPdu.C2hData.class, WAIT);
            try {
                assertThat(d.cccid()).isEqualTo(sqe.cid());
                assertThat(d.dataOffset()).isEqualTo(received);
                assertThat(d.dataDigestValid()).isTrue();
                int n = d.data().readableBytes();
                d.data().getBytes(d.data().readerIndex(), out, received, n);
                received += n;
                assertThat(d.last()).isEqualTo(received == length);
                success = d.success();
            } finally {
                d.release();
            }
        }
        if (!success) {
            CompletionQueueEntry cqe = response();
            assertThat(cqe.cid()).isEqualTo(sqe.cid());
            assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
        }
        return out;
    }

    /**
     * The next PDU must be a C2HTermReq with this FES and FEI; then the target must close the connection.
     * Returns the data of the C2HTermReq (the offending header, if the target echoed it).
     */
    public byte[] expectTermination(FatalErrorStatus fes, int fei) {
        NvmeTcpPdu.TermReq t = conn.expect(NvmeTcpPdu.TermReq.class, WAIT);
        try {
            assertThat(t.fromHost()).as("a C2HTermReq").isFalse();
            assertThat(t.fes()).as("FES").isEqualTo(fes);
            assertThat(t.fei()).as("FEI").isEqualTo(fei);
            assertThat(conn.awaitPeerClose(WAIT)).as("the target closes the connection").isTrue();
            return TestServer.bytesOf(t.data().retain());
        } finally {
            t.release();
        }
    }

    /** Nothing arrives for a while and the connection stays open. */
    public void expectNothing() {
        NvmeTcpPdu pdu = conn.poll(QUIET);
        if (pdu != null) {
            String text = pdu.toString();
            io.netty.util.ReferenceCountUtil.release(pdu);
            throw new AssertionError("expected nothing, received " + text);
        }
        assertThat(conn.isPeerClosed()).as("connection closed").isFalse();
    }

    @Override
    public void close() {
        conn.close();
    }
}
