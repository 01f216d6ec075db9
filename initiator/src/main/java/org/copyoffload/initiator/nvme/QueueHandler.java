package org.copyoffload.initiator.nvme;

import org.copyoffload.initiator.HandOver;
import org.copyoffload.initiator.TagAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduEncoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host end of one NVMe/TCP queue (NVMe/TCP Transport 1.1, 3.3-3.5): ICReq/ICResp, then command
 * capsules out and responses, R2Ts and C2HData in. It assigns CIDs, chooses in-capsule or R2T data, bounds
 * the commands in flight by the queue size, and fails every pending command when the connection ends.
 *
 * <p>All state is confined to the channel's event loop. Other threads hand commands over through a
 * lock-free queue drained by one task, so a burst of submissions costs one flush.
 */
final class QueueHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(QueueHandler.class);

    /** PSDT 01b: SGLs for data, required over fabrics (NVMe/TCP 1.1, 3.4). */
    private static final int PSDT_SGL = 0x40;
    /** FEI of the fields the host checks: byte offsets inside the PDU header. */
    private static final int FEI_FLAGS = 1;
    private static final int FEI_CCCID = 8;
    private static final int FEI_DATAO = 12;
    private static final int FEI_DATAL = 16;
    private static final int FEI_CQE_CID = 8 + 12;

    private final int qid;
    private final NvmeTcpSettings settings;
    private final boolean headerDigestWanted;
    private final boolean dataDigestWanted;
    private final int inCapsuleLimit;
    private final TagAllocator cids;
    private final PendingCommand[] inFlight;
    private final ArrayDeque<PendingCommand> waiting = new ArrayDeque<>();
    private final HandOver<PendingCommand> handedOver;
    private final CompletableFuture<NvmeTcpPdu.IcResp> initialized = new CompletableFuture<>();

    private volatile ChannelHandlerContext ctx;
    private volatile NvmeTransportException failure;
    private int maxH2cData;
    private int lastSqHead;
    private boolean reading;
    private boolean flushPending;

    /**
     * @param queueSize      entries of the submission queue: at most {@code queueSize - 1} commands are in
     *                       flight, since a full circular queue keeps one entry empty
     * @param inCapsuleLimit the most write data sent inside the capsule; larger writes wait for R2T
     */
    QueueHandler(int qid, NvmeTcpSettings settings, boolean headerDigest, boolean dataDigest, int queueSize,
                 int inCapsuleLimit) {
        this.qid = qid;
        this.settings = settings;
        this.headerDigestWanted = headerDigest;
        this.dataDigestWanted = dataDigest;
        this.inCapsuleLimit = inCapsuleLimit;
        this.cids = new TagAllocator(queueSize - 1);
        this.inFlight = new PendingCommand[queueSize - 1];
        this.handedOver = new HandOver<>(this::enqueue, this::flushIfPending,
                e -> failHandedOver(new NvmeTransportException("queue " + qid + ": event loop shut down", e)));
    }

    /** Completes with the controller's ICResp once its digests and alignment are in force. */
    CompletableFuture<NvmeTcpPdu.IcResp> initialized() {
        return initialized;
    }

    /** Commands that may be in flight at once. */
    int depth() {
        return inFlight.length;
    }

    /** MAXH2CDATA from ICResp; 0 before it arrives. */
    int maxH2cData() {
        return maxH2cData;
    }

    /** The first reason the queue failed, or null while it works. */
    NvmeTransportException failure() {
        return failure;
    }

    // ---- submission (any thread) ----

    CompletableFuture<Completion> submit(SubmissionQueueEntry sqe, ByteBuf dataOut, int dataInLength) {
        if (dataOut != null && !dataOut.isReadable()) {
            dataOut.release();
            dataOut = null;
        }
        if (dataInLength < 0 || (dataOut != null && dataInLength > 0)) {
            ReferenceCountUtil.release(dataOut);
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "a command moves data one way: dataOut " + (dataOut != null) + ", dataInLength " + dataInLength));
        }
        PendingCommand command = new PendingCommand(sqe, dataOut, dataInLength);
        NvmeTransportException failed = failure;
        ChannelHandlerContext context = ctx;
        if (failed != null || context == null) {
            command.fail(failed != null ? failed : new NvmeTransportException("queue " + qid + " is not connected"));
            return command.future;
        }
        EventLoop loop = context.channel().eventLoop();
        if (loop.inEventLoop()) {
            enqueue(command);
            if (!reading) {
                flushIfPending();
            }
        } else {
            handedOver.add(loop, command);
        }
        return command.future;
    }

    private void failHandedOver(NvmeTransportException e) {
        handedOver.failAll(command -> command.fail(e));
    }

    private void enqueue(PendingCommand command) {
        if (failure != null) {
            command.fail(failure);
        } else if (initialized.isDone() && waiting.isEmpty() && cids.hasFree()) {
            start(command);
        } else {
            waiting.add(command);
        }
    }

    private void startWaiting() {
        while (!waiting.isEmpty() && cids.hasFree() && failure == null) {
            start(waiting.poll());
        }
    }

    private void start(PendingCommand command) {
        int cid = cids.allocate();
        command.cid = cid;
        inFlight[cid] = command;
        SglDescriptor sgl;
        ByteBuf capsuleData = Unpooled.EMPTY_BUFFER;
        if (command.dataOutLength > 0) {
            // Fabrics commands (Connect) always carry their data in the capsule, whatever IOCCSZ says.
            int limit = command.sqe.isFabrics() ? Math.max(inCapsuleLimit, NvmeTcpQueue.ADMIN_IN_CAPSULE) : inCapsuleLimit;
            if (command.dataOutLength <= limit) {
                sgl = SglDescriptor.inCapsule(command.dataOutLength);
                capsuleData = command.dataOut;
                command.dataOut = null;
            } else {
                sgl = SglDescriptor.transport(command.dataOutLength);
            }
        } else {
            sgl = SglDescriptor.transport(command.dataInLength);
        }
        SubmissionQueueEntry s = command.sqe;
        SubmissionQueueEntry wire = new SubmissionQueueEntry(s.opcode(), (s.flags() & ~0xC0) | PSDT_SGL, cid,
                s.nsid(), s.cdw2(), s.cdw3(), s.metadataPointer(), sgl,
                s.cdw10(), s.cdw11(), s.cdw12(), s.cdw13(), s.cdw14(), s.cdw15());
        ctx.write(new NvmeTcpPdu.CapsuleCmd(wire, capsuleData, true), ctx.voidPromise());
        flushPending = true;
    }

    private void flushIfPending() {
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
    }

    // ---- connection events ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // MAXR2T 0: one outstanding R2T per command, which is all this host answers at a time anyway.
        ctx.writeAndFlush(new NvmeTcpPdu.IcReq(0, 0, headerDigestWanted, dataDigestWanted, 0), ctx.voidPromise());
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(new NvmeTransportException("queue " + qid + ": connection closed by the controller"));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("queue {}: {}", qid, cause.toString());
        fail(new NvmeTransportException("queue " + qid + ": " + cause, cause));
        ctx.close();
    }

    /** The host closes the queue: pending commands fail with that reason rather than "closed by the controller". */
    void closeByHost() {
        ChannelHandlerContext context = ctx;
        if (context == null) {
            return;
        }
        try {
            context.channel().eventLoop().execute(() -> {
                fail(new NvmeTransportException("queue " + qid + ": closed by the host"));
                context.close();
            });
        } catch (RejectedExecutionException e) {
            // The event loop is gone, and with it the channel: nothing is left pending.
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        flushIfPending();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        if (failure != null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!initialized.isDone() && !(msg instanceof NvmeTcpPdu.IcResp) && !(msg instanceof NvmeTcpPdu.TermReq)
                && !(msg instanceof NvmeTcpPdu.Malformed)) {
            NvmeTcpPdu pdu = (NvmeTcpPdu) msg;
            fatal(FatalErrorStatus.PDU_SEQUENCE_ERROR, 0, headerOf(pdu), pdu.type() + " before ICResp");
            ReferenceCountUtil.release(msg);
            return;
        }
        switch (msg) {
            case NvmeTcpPdu.CapsuleResp r -> onResponse(r);
            case NvmeTcpPdu.C2hData d -> onC2hData(d);
            case NvmeTcpPdu.R2t r -> onR2t(r);
            case NvmeTcpPdu.IcResp r -> onIcResp(r);
            case NvmeTcpPdu.TermReq t -> onTermReq(t);
            case NvmeTcpPdu.Malformed m -> fatal(m.fes(), m.fei(), m.data(), "malformed PDU: " + m.reason());
            default -> {
                // The decoder only passes controller-to-host PDUs; anything else is a bug here.
                ReferenceCountUtil.release(msg);
                throw new IllegalStateException("unexpected message " + msg);
            }
        }
    }

    private void onIcResp(NvmeTcpPdu.IcResp r) {
        if (initialized.isDone()) {
            fatal(FatalErrorStatus.PDU_SEQUENCE_ERROR, 0, headerOf(r), "second ICResp");
            return;
        }
        if ((r.headerDigest() && !headerDigestWanted) || (r.dataDigest() && !dataDigestWanted)) {
            log.warn("queue {}: controller enabled digests the host did not ask for (hdgst {}, ddgst {})",
                    qid, r.headerDigest(), r.dataDigest());
        }
        settings.negotiated(r.headerDigest(), r.dataDigest(), r.cpda());
        maxH2cData = r.maxH2cData();
        initialized.complete(r);
        startWaiting();
    }

    private void onTermReq(NvmeTcpPdu.TermReq t) {
        NvmeTransportException e = new NvmeTransportException(String.format(
                "queue %d: controller terminated the connection: C2HTermReq FES=%s (0x%02x), FEI=0x%x",
                qid, t.fes(), t.fes().code(), t.fei()), t.fes(), t.fei());
        t.release();
        log.warn(e.getMessage());
        fail(e);
        ctx.close();
    }

    private PendingCommand lookup(int cid) {
        return cid < inFlight.length ? inFlight[cid] : null;
    }

    private void onResponse(NvmeTcpPdu.CapsuleResp r) {
        CompletionQueueEntry cqe = r.cqe();
        PendingCommand command = lookup(cqe.cid());
        if (command == null) {
            fatal(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, FEI_CQE_CID, headerOf(r),
                    "CapsuleResp for CID " + cqe.cid() + ", which is not in flight");
            return;
        }
        lastSqHead = cqe.sqHead();
        finish(command, cqe);
    }

    private void onC2hData(NvmeTcpPdu.C2hData d) {
        try {
            PendingCommand command = lookup(d.cccid());
            int length = d.data().readableBytes();
            String error = null;
            int fei = 0;
            FatalErrorStatus fes = FatalErrorStatus.INVALID_PDU_HEADER_FIELD;
            if (command == null) {
                error = "C2HData for CID " + d.cccid() + ", which is not in flight";
                fei = FEI_CCCID;
            } else if (command.dataInLength == 0) {
                error = "C2HData for CID " + d.cccid() + ", which reads no data";
                fei = FEI_CCCID;
            } else if (d.dataOffset() != command.received) {
                // Data arrives in order (as Linux also assumes): a gap or overlap is a controller bug.
                error = "C2HData DATAO " + Integer.toUnsignedString(d.dataOffset()) + " for CID " + d.cccid()
                        + ", expected " + command.received;
                fei = FEI_DATAO;
            } else if ((long) command.received + length > command.dataInLength) {
                error = "C2HData for CID " + d.cccid() + " ends at " + ((long) command.received + length)
                        + ", beyond the " + command.dataInLength + " bytes requested";
                fes = FatalErrorStatus.DATA_TRANSFER_OUT_OF_RANGE;
                fei = FEI_DATAL;
            } else if (d.success() && !d.last()) {
                error = "C2HData SUCCESS without LAST_PDU for CID " + d.cccid();
                fei = FEI_FLAGS;
            }
            if (error != null) {
                fatal(fes, fei, headerOf(d), error);
                return;
            }
            if (!d.dataDigestValid()) {
                // Like Linux: keep the stream, fail the command with Data Transfer Error when it completes.
                log.warn("queue {}: data digest error in C2HData for CID {}", qid, d.cccid());
                command.dataDigestError = true;
            }
            if (command.dataIn == null && length == command.dataInLength) {
                command.dataIn = d.data().retain();
            } else {
                if (command.dataIn == null) {
                    command.dataIn = ctx.alloc().buffer(command.dataInLength);
                }
                command.dataIn.writeBytes(d.data(), d.data().readerIndex(), length);
            }
            command.received += length;
            if (d.success()) {
                // SUCCESS: the command completed and no CapsuleResp follows (NVMe/TCP 1.1, 3.6.2.9).
                finish(command, new CompletionQueueEntry(0, 0, lastSqHead, qid, command.cid, NvmeStatus.SUCCESS));
            }
        } finally {
            d.release();
        }
    }

    private void onR2t(NvmeTcpPdu.R2t r) {
        PendingCommand command = lookup(r.cccid());
        long offset = Integer.toUnsignedLong(r.r2tOffset());
        long length = Integer.toUnsignedLong(r.r2tLength());
        if (command == null) {
            fatal(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, FEI_CCCID, headerOf(r),
                    "R2T for CID " + r.cccid() + ", which is not in flight");
        } else if (!command.awaitsR2t()) {
            fatal(FatalErrorStatus.PDU_SEQUENCE_ERROR, FEI_CCCID, headerOf(r),
                    "R2T for CID " + r.cccid() + ", which has no data to send by R2T");
        } else if (length == 0) {
            fatal(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, FEI_DATAL, headerOf(r), "R2T with R2TL 0 for CID " + r.cccid());
        } else if (offset + length > command.dataOutLength) {
            fatal(FatalErrorStatus.DATA_TRANSFER_OUT_OF_RANGE, FEI_DATAO, headerOf(r), "R2T " + offset + "+" + length
                    + " beyond the " + command.dataOutLength + " bytes of CID " + r.cccid());
        } else {
            sendH2cData(command, r.ttag(), (int) offset, (int) length);
        }
    }

    /** Answers one R2T: its range exactly, in PDUs of at most MAXH2CDATA, LAST_PDU on the final one. */
    private void sendH2cData(PendingCommand command, int ttag, int offset, int length) {
        ByteBuf data = command.dataOut;
        int end = offset + length;
        for (int at = offset; at < end; ) {
            int n = Math.min(maxH2cData, end - at);
            ByteBuf chunk = data.retainedSlice(data.readerIndex() + at, n);
            ctx.write(new NvmeTcpPdu.H2cData(command.cid, ttag, at, at + n == end, chunk, true), ctx.voidPromise());
            at += n;
        }
        flushPending = true;
    }

    private void finish(PendingCommand command, CompletionQueueEntry cqe) {
        inFlight[command.cid] = null;
        cids.release(command.cid);
        ByteBuf data = command.dataIn;
        command.dataIn = null;
        if (command.dataOut != null) {
            command.dataOut.release();
            command.dataOut = null;
        }
        if (command.dataDigestError && cqe.status().isSuccess()) {
            cqe = new CompletionQueueEntry(cqe.dw0(), cqe.dw1(), cqe.sqHead(), cqe.sqId(), cqe.cid(),
                    StatusCode.DATA_TRANSFER_ERROR.status());
        }
        if (data == null || !cqe.status().isSuccess()) {
            ReferenceCountUtil.release(data);
            data = Unpooled.EMPTY_BUFFER;
        }
        // Commands that waited for a CID go first: they were submitted before anything a callback submits.
        startWaiting();
        Completion completion = new Completion(cqe, data);
        if (!command.future.complete(completion)) {
            completion.close();
        }
    }

    // ---- failure ----

    /**
     * A fatal transport error found by the host: send H2CTermReq echoing the offending header (owned
     * here), fail everything pending, and close once the termination request is out.
     */
    private void fatal(FatalErrorStatus fes, int fei, ByteBuf offendingHeader, String reason) {
        NvmeTransportException e = new NvmeTransportException(String.format(
                "queue %d: host terminated the connection: %s (H2CTermReq FES=%s (0x%02x), FEI=0x%x)",
                qid, reason, fes, fes.code(), fei), fes, fei);
        log.warn(e.getMessage());
        fail(e);
        ctx.writeAndFlush(new NvmeTcpPdu.TermReq(true, fes, fei, offendingHeader))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** The header of a received PDU as the host would encode it, for the termination request's data. */
    private ByteBuf headerOf(NvmeTcpPdu pdu) {
        ByteBuf encoded = NvmeTcpPduEncoder.encode(ctx.alloc(), pdu, settings);
        try {
            int length = Math.min(encoded.readableBytes(),
                    Math.min(pdu.type().headerLength(), NvmeTcpPdu.TermReq.MAX_DATA));
            return encoded.copy(encoded.readerIndex(), length);
        } finally {
            encoded.release();
        }
    }

    /** Fails every pending command with the first failure the queue saw; later submissions fail at once. */
    private void fail(NvmeTransportException e) {
        if (failure == null) {
            failure = e;
        }
        NvmeTransportException first = failure;
        initialized.completeExceptionally(first);
        for (int i = 0; i < inFlight.length; i++) {
            PendingCommand command = inFlight[i];
            if (command != null) {
                inFlight[i] = null;
                command.fail(first);
            }
        }
        PendingCommand command;
        while ((command = waiting.poll()) != null) {
            command.fail(first);
        }
        failHandedOver(first);
    }
}
