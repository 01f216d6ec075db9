package org.copyoffload.server.nvme.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.DataDirection;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.ProtocolFieldException;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.ConnectCommand;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.fabrics.FabricsCommandType;
import org.copyoffload.protocol.nvme.fabrics.PropertyCommand;
import org.copyoffload.protocol.nvme.auth.AuthenticationCommand;
import org.copyoffload.server.nvme.QueueAuthentication;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpSettings;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduEncoder;
import org.copyoffload.protocol.nvme.tcp.PduType;
import org.copyoffload.server.net.LoopTasks;
import org.copyoffload.server.nvme.CommandResult;
import org.copyoffload.server.nvme.FileData;
import org.copyoffload.server.nvme.ConnectInvalidParameter;
import org.copyoffload.server.nvme.NvmeCommandException;
import org.copyoffload.server.nvme.NvmeController;
import org.copyoffload.server.nvme.NvmeRequest;
import org.copyoffload.server.nvme.NvmeTarget;
import org.copyoffload.server.nvme.QueueConnection;
import org.copyoffload.protocol.nvme.tls.PskIdentity;
import org.copyoffload.protocol.nvme.tls.TlsPskHandler;
import org.copyoffload.server.log.RateLimitedWarnings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One NVMe/TCP connection, which is one NVMe queue (NVMe/TCP Transport 1.1, 3.3): the ICReq/ICResp exchange,
 * command capsules with in-capsule data or R2T-solicited H2CData, and the way back as C2HData and CapsuleResp.
 * It keeps the queue's state (SQ head, command ids in flight, pending transfers) on the channel's event loop;
 * commands run in the controller's layer and their completions come back to the event loop.
 */
public final class NvmeTcpQueueHandler extends ChannelInboundHandlerAdapter implements QueueConnection {
    private static final Logger log = LoggerFactory.getLogger(NvmeTcpQueueHandler.class);
    /** Lines about misbehaving peers, rate-limited so that a flood of bad connections cannot fill the disk. */
    private static final RateLimitedWarnings SETUP_TIMEOUTS = RateLimitedWarnings.of(log, "connections closed without ICReq and Connect");
    private static final RateLimitedWarnings TERMINATIONS = RateLimitedWarnings.of(log, "NVMe/TCP connections terminated");
    private static final RateLimitedWarnings FAILURES = RateLimitedWarnings.of(log, "NVMe/TCP connection failures");
    private static final RateLimitedWarnings AUTH_FAILURES = RateLimitedWarnings.of(log, "DH-HMAC-CHAP failures");
    /** Connect response dword 0 bit 17, ATR: the host must authenticate before other commands (NVMe-oF, Connect). */
    private static final int CONNECT_AUTHREQ_ATR = 1 << 17;
    /** From Connect on, a queue whose host must authenticate has this long to do so (DH in ffdhe8192 is slow). */
    private static final long AUTHENTICATION_TIMEOUT_SECONDS = 30;
    /** An R2T transfer keeps this many PDU payloads as they came; more are copied into one buffer (see Transfer). */
    private static final int MAX_KEPT_PAYLOADS = 256;
    /** Above this, a C2HData PDU is split: hosts reassemble by DATAO, and smaller PDUs bound per-PDU latency. */
    private static final int MAX_C2H_DATA = 1 << 20;

    private enum State { AWAIT_IC_REQ, READY, CLOSING }

    private record HeldWrite(SubmissionQueueEntry sqe, int length) {
    }

    /**
     * Data the host sends after an R2T, in order: the H2CData PDUs' payloads are kept as they arrived (slices of the
     * socket's buffers), not copied into one buffer, so the store writes them with one gathering write. A host that
     * cuts its data into more than {@link #MAX_KEPT_PAYLOADS} PDUs gets them copied into one buffer instead, once, so
     * tiny PDUs can neither pin a socket buffer each nor make a write of millions of pieces.
     */
    private static final class Transfer {
        final int ttag;
        final SubmissionQueueEntry sqe;
        final int length;
        private CompositeByteBuf payloads;
        private ByteBuf copied;
        int received;
        boolean digestFailed;

        Transfer(int ttag, SubmissionQueueEntry sqe, CompositeByteBuf payloads, int length) {
            this.ttag = ttag;
            this.sqe = sqe;
            this.payloads = payloads;
            this.length = length;
        }

        /** Appends one PDU's payload (the caller keeps its own reference). */
        void add(ChannelHandlerContext ctx, ByteBuf payload) {
            if (copied == null && payloads.numComponents() < MAX_KEPT_PAYLOADS) {
                payloads.addComponent(true, payload.retain());
                return;
            }
            if (copied == null) {
                copied = ctx.alloc().directBuffer(length);
                copied.writeBytes(payloads);
                payloads.release();
                payloads = null;
            }
            copied.writeBytes(payload);
        }

        /** The data received, handed over to the caller. */
        ByteBuf take() {
            return copied != null ? copied : payloads;
        }

        void release() {
            ReferenceCountUtil.release(take());
        }
    }

    private final NvmeTarget target;
    private final NvmeTcpSettings settings;
    private final NvmeTcpMetrics metrics;
    private final Map<Integer, Long> inFlight = new HashMap<>();
    private boolean fileDataAllowed;
    private final Map<Integer, Transfer> transfers = new HashMap<>();
    /** Writes whose R2T waits for room in the write-data budgets, in arrival order. */
    private final ArrayDeque<HeldWrite> heldBack = new ArrayDeque<>();
    /** Bytes each solicited write took from the budgets (by CID), given back when the command completes. */
    private final Map<Integer, Integer> solicitedBytes = new HashMap<>();
    /**
     * Write data this connection holds for commands in flight: R2T-solicited (taken from the budgets before the R2T
     * goes out) and in-capsule (counted when it arrives).
     */
    private long connectionWriteData;
    /** In-capsule data bytes each command in flight holds (by CID), given back when it completes. */
    private final Map<Integer, Integer> inCapsuleBytes = new HashMap<>();
    /** Reading from the socket stopped because in-capsule data filled the budgets (see {@link #holdInCapsule}). */
    private boolean readsPaused;
    /** Called by the target's budget when another connection releases data (one identity, so registered once). */
    private final Runnable retryR2ts = () -> LoopTasks.execute(this.ctx.executor(), this::issueR2ts);
    private ChannelHandlerContext ctx;
    private State state = State.AWAIT_IC_REQ;
    private ScheduledFuture<?> setupTimeout;
    private String remote = "?";
    private int nextTtag;

    // Queue state once connected.
    private NvmeController controller;
    private int qid = -1;
    private int sqsize;
    private int sqHead;
    private boolean sqFlowControlDisabled;
    /** DH-HMAC-CHAP on this queue (NVMe Base 2.1, 8.3.4); {@code authRequired} when the host has a secret. */
    private QueueAuthentication auth;
    private boolean authRequired;
    private boolean setupComplete;

    public NvmeTcpQueueHandler(NvmeTarget target, NvmeTcpSettings settings, NvmeTcpMetrics metrics) {
        this.target = target;
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.remote = String.valueOf(ctx.channel().remoteAddress());
        metrics.connectionOpened();
        // A connection must finish ICReq and Connect (and DH-HMAC-CHAP, when its host has a secret) within
        // nvme.setup-timeout, so idle sockets cannot pile up.
        long timeoutMs = target.settings().setupTimeout().toMillis();
        setupTimeout = ctx.executor().schedule(() -> {
            if (!setupComplete) {
                metrics.setupTimedOut();
                withMdc(() -> SETUP_TIMEOUTS.warn("closing connection from {}: no ICReq, Connect and authentication "
                        + "within {} ms", remote, timeoutMs));
                ctx.close();
            }
        }, timeoutMs, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSING;
        if (setupTimeout != null) {
            setupTimeout.cancel(false);
        }
        target.writeData().cancelWait(retryR2ts);
        heldBack.clear();
        for (Transfer t : transfers.values()) {
            t.release();
            releaseWriteData(t.sqe.cid());
        }
        transfers.clear();
        metrics.connectionClosed(inFlight.size());
        inFlight.clear();
        NvmeController c = controller;
        if (c != null) {
            if (qid == 0) {
                c.close("admin queue connection from " + remote + " closed");
            } else {
                c.detachIoQueue(qid, this);
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        MDC.put("conn", remote);
        if (controller != null) {
            MDC.put("ctrl", controller.describe() + "q" + qid);
        }
        try {
            if (state == State.CLOSING) {
                return;
            }
            if (!(msg instanceof NvmeTcpPdu pdu)) {
                throw new IllegalStateException("unexpected message " + msg);
            }
            switch (pdu) {
                case NvmeTcpPdu.Malformed m -> fatal(m.fes(), m.fei(), m.data().retain(), m.reason());
                case NvmeTcpPdu.IcReq r -> icReq(r);
                case NvmeTcpPdu.CapsuleCmd c -> {
                    if (state != State.READY) {
                        sequenceError("CapsuleCmd before ICReq");
                    } else {
                        capsule(c);
                    }
                }
                case NvmeTcpPdu.H2cData d -> {
                    if (state != State.READY) {
                        sequenceError("H2CData before ICReq");
                    } else {
                        h2cData(d);
                    }
                }
                case NvmeTcpPdu.TermReq t -> {
                    TERMINATIONS.warn("host {} terminated the connection: {} (FEI 0x{})", remote, t.fes(),
                            Integer.toHexString(t.fei()));
                    state = State.CLOSING;
                    ctx.close();
                }
                default -> sequenceError("unexpected " + pdu.type());
            }
        } finally {
            ReferenceCountUtil.release(msg);
            MDC.remove("conn");
            MDC.remove("ctrl");
        }
    }

    // ---- connection setup ----

    private void icReq(NvmeTcpPdu.IcReq r) {
        if (state != State.AWAIT_IC_REQ) {
            sequenceError("second ICReq");
            return;
        }
        // We honour both digests when asked; CPDA 0 (no alignment), as the Linux host requires.
        settings.negotiated(r.headerDigest(), r.dataDigest(), r.hpda());
        // Read data goes out by sendfile only when nothing has to see it on the way: a data digest is computed over
        // it, and TLS encrypts it (the plaintext must pass through the TLS handler, not from file to socket).
        fileDataAllowed = !r.dataDigest() && ctx.pipeline().get(TlsPskHandler.class) == null;
        settings.maxReceiveData(target.settings().maxH2cData());
        ctx.writeAndFlush(new NvmeTcpPdu.IcResp(0, 0, r.headerDigest(), r.dataDigest(), target.settings().maxH2cData()));
        state = State.READY;
        log.debug("ICReq from {}: HPDA {}, header digest {}, data digest {}, MAXR2T {}", remote, r.hpda(),
                r.headerDigest(), r.dataDigest(), r.maxr2t());
    }

    // ---- commands ----

    private void capsule(NvmeTcpPdu.CapsuleCmd pdu) {
        SubmissionQueueEntry sqe = pdu.sqe();
        int cid = sqe.cid();
        if (qid >= 0 && inFlight.size() > sqsize) {
            fatal(FatalErrorStatus.PDU_SEQUENCE_ERROR, 0, null,
                    "host submitted more than SQSIZE+1 = " + (sqsize + 1) + " commands");
            return;
        }
        advanceSqHead();
        if (inFlight.containsKey(cid)) {
            // The CID names a command still in flight: answer without disturbing that command.
            sendCompletion(cid, CommandResult.error(StatusCode.COMMAND_ID_CONFLICT), -1);
            return;
        }
        inFlight.put(cid, System.nanoTime());
        metrics.submitted(inFlight.size());
        if (!pdu.dataDigestValid()) {
            complete(sqe, CommandResult.error(StatusCode.TRANSIENT_TRANSPORT_ERROR.status()), null);
            return;
        }
        try {
            if (sqe.psdt() == 0) {
                throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND, "PRPs (PSDT 0) cannot be used over fabrics");
            }
            SglDescriptor sgl = sqe.sgl();
            DataDirection dir = sqe.dataDirection();
            long length = sgl.lengthUnsigned();
            switch (sgl.identifier()) {
                case SglDescriptor.IN_CAPSULE -> {
                    ByteBuf inCapsule = pdu.data();
                    if (dir != DataDirection.HOST_TO_CONTROLLER && length > 0) {
                        throw new NvmeCommandException(StatusCode.SGL_DESCRIPTOR_TYPE_INVALID,
                                "in-capsule data for a command that reads");
                    }
                    if (Long.compareUnsigned(sgl.address(), inCapsule.readableBytes()) > 0) {
                        throw new NvmeCommandException(StatusCode.SGL_OFFSET_INVALID,
                                "SGL offset " + Long.toUnsignedString(sgl.address()) + " past " + inCapsule.readableBytes()
                                        + " in-capsule bytes");
                    }
                    if (sgl.address() + length > inCapsule.readableBytes()) {
                        throw new NvmeCommandException(StatusCode.DATA_SGL_LENGTH_INVALID,
                                "SGL length " + length + " but the capsule carries " + inCapsule.readableBytes() + " bytes");
                    }
                    ByteBuf data = inCapsule.retainedSlice(inCapsule.readerIndex() + (int) sgl.address(), (int) length);
                    holdInCapsule(cid, (int) length);
                    dispatch(sqe, data, length);
                }
                case SglDescriptor.TRANSPORT_DATA_BLOCK -> {
                    if (pdu.data().isReadable()) {
                        throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND,
                                "in-capsule data with a transport SGL descriptor");
                    }
                    if (dir == DataDirection.BIDIRECTIONAL) {
                        // No command this target implements moves data both ways: the opcode is the problem.
                        throw new NvmeCommandException(StatusCode.INVALID_COMMAND_OPCODE, "bidirectional commands are not supported");
                    }
                    if (dir == DataDirection.HOST_TO_CONTROLLER && length > 0) {
                        solicit(sqe, length);
                    } else {
                        dispatch(sqe, null, length);
                    }
                }
                default -> throw new NvmeCommandException(StatusCode.SGL_DESCRIPTOR_TYPE_INVALID,
                        "SGL identifier 0x" + Integer.toHexString(sgl.identifier()));
            }
        } catch (NvmeCommandException e) {
            log.debug("command {} rejected: {}", describe(sqe), e.getMessage());
            complete(sqe, e.result(), null);
        }
    }

    private void advanceSqHead() {
        if (qid >= 0) {
            sqHead = (sqHead + 1) % (sqsize + 1);
        }
    }

    /**
     * Asks the host for the command's data with one R2T covering all of it (MAXR2T 0 needs no more), as soon as the
     * buffer fits in this connection's and the target's write-data budgets; until then the R2T is held back, so a
     * host cannot make the target buffer more than the budgets whatever its queue count and depth.
     */
    private void solicit(SubmissionQueueEntry sqe, long length) {
        long limit = Math.max(target.settings().maxTransferBytes(), 65536);
        if (length > limit) {
            throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND,
                    "data length " + length + " exceeds MDTS (" + target.settings().maxTransferBytes() + " bytes)");
        }
        heldBack.add(new HeldWrite(sqe, (int) length));
        issueR2ts();
    }

    /** Sends the R2Ts of held-back writes, in order, while both budgets have room. */
    private void issueR2ts() {
        boolean sent = false;
        while (state == State.READY && !heldBack.isEmpty()) {
            HeldWrite w = heldBack.peek();
            if (connectionWriteData > 0
                    && connectionWriteData + w.length() > target.settings().maxWriteDataPerConnection()) {
                break; // a completion of this connection calls us again
            }
            if (!target.writeData().acquireOrWait(w.length(), retryR2ts)) {
                break; // another connection's release calls retryR2ts
            }
            heldBack.poll();
            connectionWriteData += w.length();
            solicitedBytes.put(w.sqe().cid(), w.length());
            int ttag = nextTtag();
            // Room for every payload Transfer keeps, so that Netty never merges (copies) them on its own.
            transfers.put(ttag, new Transfer(ttag, w.sqe(), ctx.alloc().compositeDirectBuffer(MAX_KEPT_PAYLOADS), w.length()));
            ctx.write(new NvmeTcpPdu.R2t(w.sqe().cid(), ttag, 0, w.length()));
            sent = true;
        }
        if (sent) {
            ctx.flush();
        }
    }

    /**
     * Counts in-capsule data against both write-data budgets. The target cannot refuse data that came with the
     * command, so when it has filled either budget the connection stops reading from its socket: the host's further
     * capsules wait in TCP's buffers (its window closes) until commands holding in-capsule data complete. Only these
     * pause reading, and they complete without more input from this socket, so the pause always ends.
     */
    private void holdInCapsule(int cid, int bytes) {
        if (bytes == 0) {
            return;
        }
        inCapsuleBytes.put(cid, bytes);
        connectionWriteData += bytes;
        target.writeData().take(bytes);
        if (!readsPaused && writeBudgetsFull()) {
            readsPaused = true;
            ctx.channel().config().setAutoRead(false);
            metrics.readsPaused();
            log.debug("{} commands with in-capsule data, {} write-data bytes on this connection: reading paused",
                    inCapsuleBytes.size(), connectionWriteData);
        }
    }

    /** This connection's or the target's write data beyond its bound. */
    private boolean writeBudgetsFull() {
        return connectionWriteData > target.settings().maxWriteDataPerConnection() || target.writeData().overLimit();
    }

    /** Gives back what the command with this CID took from the write-data budgets, then lets held writes go. */
    private void releaseWriteData(int cid) {
        Integer inCapsule = inCapsuleBytes.remove(cid);
        if (inCapsule != null) {
            connectionWriteData -= inCapsule;
            target.writeData().release(inCapsule);
            // Resumed once within both budgets again, or once this connection holds no in-capsule data (another
            // connection may keep the target's budget full, and nothing else would resume this one).
            if (readsPaused && (inCapsuleBytes.isEmpty() || !writeBudgetsFull())) {
                readsPaused = false;
                ctx.channel().config().setAutoRead(true);
            }
        }
        Integer bytes = solicitedBytes.remove(cid);
        if (bytes != null) {
            connectionWriteData -= bytes;
            target.writeData().release(bytes);
        }
        if ((inCapsule != null || bytes != null) && !heldBack.isEmpty()) {
            issueR2ts();
        }
    }

    private int nextTtag() {
        // TTAG FFFFh is reserved (NVMe/TCP 1.1, 3.6.2.10).
        do {
            nextTtag = (nextTtag + 1) & 0xFFFF;
        } while (nextTtag == 0xFFFF || transfers.containsKey(nextTtag));
        return nextTtag;
    }

    private void h2cData(NvmeTcpPdu.H2cData d) {
        Transfer t = transfers.get(d.ttag());
        if (t == null) {
            fatal(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 10, null, "H2CData for unknown TTAG " + d.ttag());
            return;
        }
        if (t.sqe.cid() != d.cccid()) {
            fatal(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 8, null,
                    "H2CData CCCID " + d.cccid() + " but TTAG " + d.ttag() + " belongs to CID " + t.sqe.cid());
            return;
        }
        int len = d.data().readableBytes();
        if (d.dataOffset() != t.received || (long) d.dataOffset() + len > t.length) {
            fatal(FatalErrorStatus.DATA_TRANSFER_OUT_OF_RANGE, 12, null, "H2CData DATAO " + Integer.toUnsignedString(d.dataOffset())
                    + " DATAL " + len + " outside the expected " + t.received + ".." + t.length);
            return;
        }
        boolean complete = t.received + len == t.length;
        if (complete != d.last()) {
            fatal(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 1, null,
                    "LAST_PDU " + d.last() + " but " + (t.length - t.received - len) + " bytes still due");
            return;
        }
        t.add(ctx, d.data());
        t.received += len;
        t.digestFailed |= !d.dataDigestValid();
        if (complete) {
            transfers.remove(t.ttag);
            if (t.digestFailed) {
                t.release();
                complete(t.sqe, CommandResult.error(StatusCode.TRANSIENT_TRANSPORT_ERROR.status()), null);
            } else {
                dispatch(t.sqe, t.take(), t.length);
            }
        }
    }

    /** Runs the command in the right layer; {@code data} (may be null) is released when it completes. */
    private void dispatch(SubmissionQueueEntry sqe, ByteBuf data, long transferLength) {
        CompletableFuture<CommandResult> result;
        try {
            result = execute(new NvmeRequest(sqe, Math.max(qid, 0), data, transferLength, fileDataAllowed));
        } catch (NvmeCommandException e) {
            result = CompletableFuture.completedFuture(e.result());
        } catch (RuntimeException e) {
            log.error("command {} failed inside the target", describe(sqe), e);
            result = CompletableFuture.completedFuture(CommandResult.error(StatusCode.INTERNAL_ERROR.status()));
        }
        if (result.isDone() && ctx.executor().inEventLoop()) {
            complete(sqe, result.getNow(null), data);
            return;
        }
        result.whenComplete((r, error) -> LoopTasks.execute(ctx.executor(), () -> {
            if (error != null) {
                if (error instanceof java.util.concurrent.CancellationException) {
                    ReferenceCountUtil.release(data);
                    releaseWriteData(sqe.cid());
                    return;
                }
                log.error("command {} failed inside the target", describe(sqe), error);
                complete(sqe, CommandResult.error(StatusCode.INTERNAL_ERROR.status()), data);
            } else {
                complete(sqe, r, data);
            }
        }, () -> {
            ReferenceCountUtil.release(data);
            if (r != null) {
                r.release();
            }
        }));
    }

    private CompletableFuture<CommandResult> execute(NvmeRequest r) {
        SubmissionQueueEntry sqe = r.sqe();
        if (sqe.isFabrics()) {
            int type = sqe.fabricsCommandType();
            if (controller != null && type == FabricsCommandType.AUTHENTICATION_SEND.code()) {
                return auth.send(AuthenticationCommand.from(sqe), r.data());
            }
            if (controller != null && type == FabricsCommandType.AUTHENTICATION_RECEIVE.code()) {
                return auth.receive(AuthenticationCommand.from(sqe), r.transferLength(), ctx.alloc());
            }
            return CompletableFuture.completedFuture(fabrics(r));
        }
        if (controller == null) {
            throw new NvmeCommandException(StatusCode.COMMAND_SEQUENCE_ERROR, "command before Connect");
        }
        requireAuthenticated();
        return qid == 0 ? target.admin().execute(controller, r) : target.io().execute(controller, r);
    }

    private CommandResult fabrics(NvmeRequest r) {
        SubmissionQueueEntry sqe = r.sqe();
        FabricsCommandType type = FabricsCommandType.lookup(sqe.fabricsCommandType()).orElseThrow(() ->
                new NvmeCommandException(StatusCode.INVALID_COMMAND_OPCODE, "fabrics command type 0x"
                        + Integer.toHexString(sqe.fabricsCommandType())));
        if (type == FabricsCommandType.CONNECT) {
            return connect(r);
        }
        if (controller == null) {
            throw new NvmeCommandException(StatusCode.COMMAND_SEQUENCE_ERROR, type + " before Connect");
        }
        return switch (type) {
            case PROPERTY_GET, PROPERTY_SET -> {
                requireAuthenticated();
                if (qid != 0) {
                    throw new NvmeCommandException(StatusCode.INVALID_COMMAND_OPCODE, type + " on an I/O queue");
                }
                PropertyCommand p = PropertyCommand.from(sqe, type == FabricsCommandType.PROPERTY_SET);
                if (p.set()) {
                    controller.propertySet(p.offset(), p.sizeBytes(), p.value());
                    yield CommandResult.SUCCESS;
                }
                long v = controller.propertyGet(p.offset(), p.sizeBytes());
                yield new CommandResult(NvmeStatus.SUCCESS, (int) v, (int) (v >>> 32), null);
            }
            case DISCONNECT -> {
                state = State.CLOSING;
                // PDUs after Disconnect are ignored, so writes still waiting for H2CData would never complete
                // and the queue would never close: abort them as a deleted queue's commands.
                for (Transfer t : java.util.List.copyOf(transfers.values())) {
                    transfers.remove(t.ttag);
                    t.release();
                    complete(t.sqe, CommandResult.error(StatusCode.COMMAND_ABORTED_SQ_DELETION.status()), null);
                }
                for (HeldWrite w : java.util.List.copyOf(heldBack)) {
                    heldBack.remove(w);
                    complete(w.sqe(), CommandResult.error(StatusCode.COMMAND_ABORTED_SQ_DELETION.status()), null);
                }
                yield CommandResult.SUCCESS;
            }
            case AUTHENTICATION_SEND, AUTHENTICATION_RECEIVE, CONNECT -> throw new IllegalStateException(type
                    + " is handled before");
        };
    }

    private CommandResult connect(NvmeRequest r) {
        if (controller != null) {
            throw new NvmeCommandException(StatusCode.COMMAND_SEQUENCE_ERROR, "second Connect on one queue");
        }
        ConnectCommand cmd = ConnectCommand.from(r.sqe());
        if (r.data() == null || r.transferLength() != ConnectData.SIZE) {
            throw new NvmeCommandException(StatusCode.DATA_SGL_LENGTH_INVALID,
                    "Connect needs " + ConnectData.SIZE + " bytes of data, got " + r.transferLength());
        }
        ConnectData data;
        try {
            data = ConnectData.decode(r.data());
        } catch (ProtocolFieldException e) {
            int offset = e.field().equals("HOSTNQN") ? ConnectData.OFFSET_HOSTNQN : ConnectData.OFFSET_SUBNQN;
            throw new NvmeCommandException(StatusCode.CONNECT_INVALID_PARAMETERS.dnr(), ConnectInvalidParameter.inData(offset), e.getMessage());
        }
        NvmeController c = target.fabrics().connect(cmd, data, this);
        controller = c;
        qid = cmd.qid();
        sqsize = cmd.sqsize();
        sqHead = 1 % (sqsize + 1);
        sqFlowControlDisabled = cmd.sqFlowControlDisabled();
        auth = new QueueAuthentication(c.subsystem().hostSecrets(data.hostNqn()), c.subsystem().dhchap(), data.hostNqn(),
                data.subsystemNqn(), qid, this::authenticationFinished, ctx.executor());
        authRequired = c.subsystem().hostSecrets(data.hostNqn()) != null;
        setupTimeout.cancel(false);
        if (authRequired) {
            setupTimeout = ctx.executor().schedule(() -> {
                if (!setupComplete) {
                    withMdc(() -> SETUP_TIMEOUTS.warn("closing queue {} from {}: not authenticated within {} s of Connect",
                            qid, remote, AUTHENTICATION_TIMEOUT_SECONDS));
                    ctx.close();
                }
            }, AUTHENTICATION_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } else {
            setupComplete = true;
        }
        int maxInCapsule = qid == 0 ? org.copyoffload.server.nvme.TargetSettings.ADMIN_IN_CAPSULE_DATA
                : target.settings().inCapsuleDataSize();
        settings.maxInCapsuleData(Math.max(maxInCapsule, ConnectData.SIZE));
        // Dword 0: the controller id, and ATR when the host must authenticate first.
        return CommandResult.success(c.cntlid() | (authRequired ? CONNECT_AUTHREQ_ATR : 0));
    }

    /** Commands other than Authentication Send/Receive and Disconnect wait for DH-HMAC-CHAP (NVMe Base 2.1, 8.3.4.2). */
    private void requireAuthenticated() {
        if (authRequired && !auth.authenticated()) {
            throw new NvmeCommandException(StatusCode.AUTHENTICATION_REQUIRED.dnr(), 0,
                    "queue " + qid + " has not authenticated");
        }
    }

    private void authenticationFinished(boolean success, org.copyoffload.protocol.nvme.auth.AuthFailureReason reason) {
        metrics.authentication(success, success ? "none" : reason.name().toLowerCase(java.util.Locale.ROOT));
        if (success) {
            if (!setupComplete) {
                setupComplete = true;
                setupTimeout.cancel(false);
                if (qid == 0) {
                    controller.startKeepAlive();
                }
            }
            log.debug("queue {} of {} authenticated", qid, controller.describe());
        } else {
            AUTH_FAILURES.warn("DH-HMAC-CHAP with host {} on queue {} from {} failed: {}", controller.hostNqn(), qid,
                    remote, reason.description());
        }
    }

    // ---- completions ----

    private void complete(SubmissionQueueEntry sqe, CommandResult result, ByteBuf requestData) {
        ReferenceCountUtil.release(requestData);
        releaseWriteData(sqe.cid());
        Long started = inFlight.remove(sqe.cid());
        if (started != null) {
            metrics.completed();
        }
        long nanos = started == null ? 0 : System.nanoTime() - started;
        if (!result.status().isSuccess()) {
            if (controller != null && !sqe.isFabrics()) {
                long lba = sqe.cdw10And11();
                controller.recordError(Math.max(qid, 0), sqe.cid(), result.status(), sqe.nsid(), qid > 0 ? lba : 0);
            }
            log.debug("command {} completed with {}", describe(sqe), result.status());
        }
        long dataBytes = result.dataLength();
        target.observer().completed(qid <= 0, sqe.isFabrics() ? 0x7F00 | sqe.fabricsCommandType() : sqe.opcode(),
                result.status(), nanos, dataBytes);
        if (!ctx.channel().isActive()) {
            result.release();
            return;
        }
        sendCompletion(sqe.cid(), result, sqe.sgl().lengthUnsigned());
        if (state == State.CLOSING && inFlight.isEmpty()) {
            // Disconnect: the response went out, now the queue goes away.
            LoopTasks.execute(ctx.executor(), () -> ctx.close());
        }
    }

    private void sendCompletion(int cid, CommandResult result, long hostBuffer) {
        ByteBuf data = result.data();
        boolean successFlag = false;
        if (result.file() != null) {
            successFlag = sqFlowControlDisabled && result.status().isSuccess();
            sendFileData(cid, result.file(), successFlag);
        } else if (data != null) {
            int length = data.readableBytes();
            if (hostBuffer >= 0 && length > hostBuffer) {
                length = (int) hostBuffer;
            }
            // SUCCESS in the last C2HData replaces the CapsuleResp, allowed only without SQ flow control.
            successFlag = sqFlowControlDisabled && result.status().isSuccess();
            int offset = 0;
            do {
                int chunk = Math.min(MAX_C2H_DATA, length - offset);
                boolean last = offset + chunk == length;
                ctx.write(new NvmeTcpPdu.C2hData(cid, offset, last, last && successFlag,
                        data.retainedSlice(data.readerIndex() + offset, chunk), true));
                offset += chunk;
            } while (offset < length);
            data.release();
        }
        if (!successFlag) {
            ctx.write(new NvmeTcpPdu.CapsuleResp(new CompletionQueueEntry(result.dw0(), result.dw1(),
                    sqFlowControlDisabled ? 0 : sqHead, Math.max(qid, 0), cid, result.status())));
        }
        ctx.flush();
    }

    /** C2HData PDUs whose data goes from the file to the socket by sendfile (DefaultFileRegion). */
    private void sendFileData(int cid, FileData file, boolean successFlag) {
        int offset = 0;
        do {
            int chunk = Math.min(MAX_C2H_DATA, file.length() - offset);
            boolean last = offset + chunk == file.length();
            ByteBuf header = NvmeTcpPduEncoder.encodeC2hDataHeader(ctx.alloc(), cid, offset, chunk, last,
                    last && successFlag, settings);
            settings.listener().sent(PduType.C2H_DATA, header.readableBytes() + (long) chunk, chunk);
            ctx.write(header);
            ctx.write(new SharedFileRegion(file.channel(), file.position() + offset, chunk)).addListener(f -> {
                if (!f.isSuccess()) {
                    withMdc(() -> log.error("sending read data from a file to {} failed", remote, f.cause()));
                }
            });
            offset += chunk;
        } while (offset < file.length());
    }

    // ---- errors ----

    private void sequenceError(String reason) {
        fatal(FatalErrorStatus.PDU_SEQUENCE_ERROR, 0, null, reason);
    }

    /** Fatal transport error (3.6.2.5): C2HTermReq with the offending header, then the connection closes. */
    private void fatal(FatalErrorStatus fes, int fei, ByteBuf header, String reason) {
        TERMINATIONS.warn("terminating connection from {}: {} ({})", remote, reason, fes);
        metrics.terminated(fes);
        state = State.CLOSING;
        ByteBuf data = header != null ? header : Unpooled.EMPTY_BUFFER;
        ctx.writeAndFlush(new NvmeTcpPdu.TermReq(false, fes, fei, data)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        withMdc(() -> FAILURES.warn("connection from {} failed: {}", remote, cause.toString()));
        ctx.close();
    }

    // ---- QueueConnection ----

    @Override
    public void close(String reason) {
        if (ctx != null && ctx.channel().isActive()) {
            LoopTasks.execute(ctx.executor(), () -> {
                withMdc(() -> log.info("closing queue {} from {}: {}", qid, remote, reason));
                state = State.CLOSING;
                ctx.close();
            });
        }
    }

    @Override
    public String describe() {
        return "tcp " + remote + (qid >= 0 ? " queue " + qid : "");
    }

    @Override
    public PskIdentity tlsIdentity() {
        TlsPskHandler tls = ctx == null ? null : ctx.pipeline().get(TlsPskHandler.class);
        return tls == null ? null : tls.result().identity();
    }

    private String describe(SubmissionQueueEntry sqe) {
        return String.format("opcode 0x%02x cid %d nsid %s on queue %d", sqe.opcode(), sqe.cid(),
                Integer.toUnsignedString(sqe.nsid()), qid);
    }

    private void withMdc(Runnable r) {
        MDC.put("conn", remote);
        try {
            r.run();
        } finally {
            MDC.remove("conn");
        }
    }
}
