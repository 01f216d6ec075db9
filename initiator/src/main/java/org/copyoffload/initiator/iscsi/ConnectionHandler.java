package org.copyoffload.initiator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.copyoffload.initiator.HandOver;
import org.copyoffload.initiator.TagAllocator;
import org.copyoffload.protocol.iscsi.IscsiCodecSettings;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.RejectReason;
import org.copyoffload.protocol.iscsi.login.NegotiatedParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The initiator end of one iSCSI connection (RFC 7143): tasks in, PDUs out, and every target PDU matched to its
 * task. It assigns Initiator Task Tags and CmdSNs, keeps ExpStatSN, holds SCSI commands back while the target's
 * CmdSN window is closed (RFC 7143, 4.2.2.1: a command may go when CmdSN is at most MaxCmdSN), sends immediate and
 * unsolicited data within FirstBurstLength, answers R2Ts with Data-Out, assembles Data-In, answers the target's
 * NOP-In pings, and fails every pending task when the connection ends.
 *
 * <p>All state is confined to the channel's event loop. Other threads hand tasks over through a lock-free queue
 * drained by one task, so a burst of submissions costs one flush. A PDU that breaks the protocol (a wrong DataSN,
 * offset, R2TSN or StatSN, data beyond the expected length) closes the connection: at error recovery level 0 the
 * initiator has no other remedy (RFC 7143, 7.1.5).
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
    private static final int RESERVED = IscsiPdu.RESERVED_TAG;
    /** ATTR Simple (RFC 7143, 11.3.1; SAM). */
    private static final int SIMPLE = 1;
    private static final int SLOT_BITS = 16;

    private final String name;
    private final IscsiCodecSettings settings;
    private final TagAllocator slots;
    private final Task[] tasks;
    private final ArrayDeque<Task.Control> waitingControl = new ArrayDeque<>();
    private final ArrayDeque<Task.Scsi> waiting = new ArrayDeque<>();
    private final HandOver<Task> handedOver;

    private volatile ChannelHandlerContext ctx;
    private volatile IscsiTransportException failure;
    /** Null until the login reaches full feature phase. */
    private NegotiatedParameters params;
    private int generation;
    private boolean statSnKnown;
    private volatile int cmdSn;
    private volatile int expCmdSn;
    private volatile int maxCmdSn;
    private volatile int expStatSn;
    private volatile int scsiInFlight;
    private volatile int peakScsiInFlight;
    private boolean reading;
    private boolean flushPending;

    /**
     * @param name     how log lines and errors name the connection
     * @param maxTasks tasks in flight at once (at most 65536); more wait here
     * @param firstCmdSn the CmdSN of the login, and of the first command after it
     */
    ConnectionHandler(String name, IscsiCodecSettings settings, int maxTasks, int firstCmdSn) {
        this.name = name;
        this.settings = settings;
        this.slots = new TagAllocator(maxTasks);
        this.tasks = new Task[maxTasks];
        this.handedOver = new HandOver<>(this::enqueue, this::flushIfPending,
                e -> failHandedOver(new IscsiTransportException(name + ": event loop shut down", e)));
        this.cmdSn = firstCmdSn;
        this.expCmdSn = firstCmdSn;
        this.maxCmdSn = firstCmdSn;
    }

    // ---- what tests and the session read (any thread) ----

    /** The CmdSN the next non-immediate command gets. */
    int cmdSn() {
        return cmdSn;
    }

    int expCmdSn() {
        return expCmdSn;
    }

    int maxCmdSn() {
        return maxCmdSn;
    }

    /** The StatSN expected next: what every PDU sent carries as ExpStatSN. */
    int expStatSn() {
        return expStatSn;
    }

    /** SCSI commands sent and not yet answered. */
    int scsiInFlight() {
        return scsiInFlight;
    }

    /** The most SCSI commands that were in flight at once. */
    int peakScsiInFlight() {
        return peakScsiInFlight;
    }

    IscsiTransportException failure() {
        return failure;
    }

    // ---- submission (any thread) ----

    /** Runs a SCSI command; see {@link IscsiSession#execute}. {@code dataOut} is taken. */
    CompletableFuture<ScsiResult> submit(long lun, byte[] cdb, ByteBuf dataOut, int dataInLength) {
        if (dataOut != null && !dataOut.isReadable()) {
            dataOut.release();
            dataOut = null;
        }
        if (dataInLength < 0 || (dataOut != null && dataInLength > 0) || cdb.length == 0
                || cdb.length > IscsiPdu.ScsiCommand.MAX_CDB) {
            ReferenceCountUtil.release(dataOut);
            return CompletableFuture.failedFuture(new IllegalArgumentException("a command moves data one way and has"
                    + " a CDB of 1 to " + IscsiPdu.ScsiCommand.MAX_CDB + " bytes: dataOut " + (dataOut != null)
                    + ", dataInLength " + dataInLength + ", CDB of " + cdb.length + " bytes"));
        }
        byte[] field = Arrays.copyOf(cdb, Math.max(IscsiPdu.ScsiCommand.CDB_FIELD, cdb.length));
        Task.Scsi task = new Task.Scsi(lun, field, dataOut, dataInLength);
        handOver(task);
        return task.future;
    }

    /** Sends the first request of a control task (login, text, logout, NOP-Out ping); the future is its first answer. */
    CompletableFuture<IscsiPdu> control(Task.Control task) {
        CompletableFuture<IscsiPdu> first = task.exchange;
        handOver(task);
        return first;
    }

    /** Sends the next request of a control task whose last answer did not end it, under the same tag. */
    CompletableFuture<IscsiPdu> continueControl(Task.Control task, Task.Control.Request request) {
        CompletableFuture<IscsiPdu> next = new CompletableFuture<>();
        ChannelHandlerContext context = ctx;
        if (failure != null || context == null) {
            next.completeExceptionally(failure != null ? failure : new IscsiTransportException(name + ": not connected"));
            return next;
        }
        try {
            context.channel().eventLoop().execute(() -> {
                if (failure != null) {
                    next.completeExceptionally(failure);
                    return;
                }
                if (task.slot < 0 || tasks[task.slot] != task) {
                    next.completeExceptionally(new IllegalStateException("the task has ended"));
                    return;
                }
                task.request = request;
                task.exchange = next;
                send(task);
                flushIfPending();
            });
        } catch (RejectedExecutionException e) {
            next.completeExceptionally(new IscsiTransportException(name + ": event loop shut down", e));
        }
        return next;
    }

    /**
     * The login is over: digests and the declared receive length apply from the next PDU (RFC 7143, 13.1, 13.12),
     * and SCSI commands may go. Waits until the event loop has applied it.
     */
    void enterFullFeaturePhase(NegotiatedParameters negotiated) {
        ChannelHandlerContext context = ctx;
        try {
            context.channel().eventLoop().submit(() -> {
                settings.headerDigest(negotiated.headerDigest()).dataDigest(negotiated.dataDigest())
                        .maxRecvDataSegmentLength(negotiated.initiatorMaxRecvDataSegmentLength());
                params = negotiated;
                startWaiting();
                flushIfPending();
            }).syncUninterruptibly();
        } catch (RejectedExecutionException e) {
            throw new IscsiTransportException(name + ": event loop shut down", e);
        }
    }

    private void handOver(Task task) {
        IscsiTransportException failed = failure;
        ChannelHandlerContext context = ctx;
        if (failed != null || context == null) {
            task.fail(failed != null ? failed : new IscsiTransportException(name + ": not connected"));
            return;
        }
        EventLoop loop = context.channel().eventLoop();
        if (loop.inEventLoop()) {
            enqueue(task);
            if (!reading) {
                flushIfPending();
            }
        } else {
            handedOver.add(loop, task);
        }
    }

    private void failHandedOver(IscsiTransportException e) {
        handedOver.failAll(task -> task.fail(e));
    }

    private void enqueue(Task task) {
        if (failure != null) {
            task.fail(failure);
            return;
        }
        switch (task) {
            case Task.Control c -> {
                if (waitingControl.isEmpty() && slots.hasFree()) {
                    start(c);
                } else {
                    waitingControl.add(c);
                }
            }
            case Task.Scsi s -> {
                if (waiting.isEmpty() && canStartScsi()) {
                    start(s);
                } else {
                    waiting.add(s);
                }
            }
        }
    }

    /** A slot is free and the CmdSN window is open: CmdSN at most MaxCmdSN, in serial arithmetic (RFC 1982). */
    private boolean canStartScsi() {
        return params != null && slots.hasFree() && waitingControl.isEmpty() && cmdSn - maxCmdSn <= 0;
    }

    private void startWaiting() {
        while (!waitingControl.isEmpty() && slots.hasFree() && failure == null) {
            start(waitingControl.poll());
        }
        while (!waiting.isEmpty() && canStartScsi() && failure == null) {
            start(waiting.poll());
        }
    }

    private void assignTag(Task task) {
        int slot = slots.allocate();
        // The high bits change with every use of a slot, so a late PDU for an ended task matches nothing; bit 31
        // stays clear, so a tag is never the reserved 0xffffffff.
        generation = (generation + 1) & 0x7FFF;
        task.slot = slot;
        task.itt = generation << SLOT_BITS | slot;
        tasks[slot] = task;
    }

    private void start(Task.Control task) {
        assignTag(task);
        send(task);
    }

    /** Control requests are immediate (RFC 7143, 3.2.2.1): they carry the current CmdSN without taking it. */
    private void send(Task.Control task) {
        ctx.write(task.request.build(task.itt, cmdSn, expStatSn), ctx.voidPromise());
        flushPending = true;
    }

    /**
     * Sends the SCSI Command with its immediate data (at most FirstBurstLength and the target's
     * MaxRecvDataSegmentLength, RFC 7143, 13.11), then, when InitialR2T=No, unsolicited Data-Out up to
     * FirstBurstLength (13.10, 13.14); the rest waits for R2Ts.
     */
    private void start(Task.Scsi task) {
        assignTag(task);
        task.cmdSn = cmdSn;
        cmdSn = cmdSn + 1;
        scsiInFlight++;
        if (scsiInFlight > peakScsiInFlight) {
            peakScsiInFlight = scsiInFlight;
        }
        int length = task.dataOutLength;
        int segment = params.targetMaxRecvDataSegmentLength();
        int immediate = params.immediateData() ? Math.min(length, Math.min(params.firstBurstLength(), segment)) : 0;
        int unsolicited = params.initialR2T() ? immediate : Math.min(length, params.firstBurstLength());
        ByteBuf data = immediate == 0 ? Unpooled.EMPTY_BUFFER
                : task.dataOut.retainedSlice(task.dataOut.readerIndex(), immediate);
        boolean write = length > 0;
        ctx.write(new IscsiPdu.ScsiCommand(false, unsolicited == immediate, task.dataInLength > 0, write, SIMPLE,
                task.lun, task.itt, write ? length : task.dataInLength, task.cmdSn, expStatSn, task.cdb, -1, data),
                ctx.voidPromise());
        if (unsolicited > immediate) {
            sendDataOut(task, RESERVED, immediate, unsolicited - immediate);
        }
        flushPending = true;
    }

    /** One sequence of Data-Out: {@code length} bytes from {@code offset}, DataSN from 0, F on the last PDU. */
    private void sendDataOut(Task.Scsi task, int ttt, int offset, int length) {
        int segment = params.targetMaxRecvDataSegmentLength();
        int dataSn = 0;
        int end = offset + length;
        for (int at = offset; at < end; ) {
            int n = Math.min(segment, end - at);
            ByteBuf chunk = task.dataOut.retainedSlice(task.dataOut.readerIndex() + at, n);
            ctx.write(new IscsiPdu.DataOut(at + n == end, task.lun, task.itt, ttt, expStatSn, dataSn++, at, chunk),
                    ctx.voidPromise());
            at += n;
        }
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
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(new IscsiTransportException(name + ": connection closed by the target"));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (failure == null) {
            // Each write queued behind a broken socket fails too: only the first failure says something new.
            log.warn("{}: {}", name, cause.toString());
        }
        fail(new IscsiTransportException(name + ": " + cause, cause));
        ctx.close();
    }

    /** The initiator closes the connection: pending tasks fail with that reason rather than "closed by the target". */
    void closeByInitiator() {
        ChannelHandlerContext context = ctx;
        if (context == null) {
            return;
        }
        try {
            context.channel().eventLoop().execute(() -> {
                fail(new IscsiTransportException(name + ": closed by the initiator"));
                context.close();
            });
        } catch (RejectedExecutionException e) {
            // The event loop is gone, and with it the channel: nothing is left pending.
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        if (!(msg instanceof IscsiPdu pdu) || failure != null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            onPdu(pdu);
        } catch (ProtocolViolation e) {
            fatal(e.getMessage());
        }
        startWaiting();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        flushIfPending();
        ctx.fireChannelReadComplete();
    }

    /** A target PDU that breaks the protocol; the connection closes. */
    private static final class ProtocolViolation extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProtocolViolation(String message) {
            super(message, null, false, false);
        }
    }

    private void onPdu(IscsiPdu pdu) {
        switch (pdu) {
            case IscsiPdu.ScsiResponse r -> {
                status(r.statSn(), r, r.expCmdSn(), r.maxCmdSn());
                onScsiResponse(r);
            }
            case IscsiPdu.DataIn d -> {
                if (d.statusPresent()) {
                    status(d.statSn(), d, d.expCmdSn(), d.maxCmdSn());
                } else {
                    window(d.expCmdSn(), d.maxCmdSn());
                }
                onDataIn(d);
            }
            case IscsiPdu.R2t r -> {
                window(r.expCmdSn(), r.maxCmdSn());
                onR2t(r);
            }
            case IscsiPdu.NopIn n -> {
                if (n.initiatorTaskTag() == RESERVED) {
                    // 11.19: a ping from the target; its StatSN is not advanced.
                    window(n.expCmdSn(), n.maxCmdSn());
                    onTargetPing(n);
                } else {
                    status(n.statSn(), n, n.expCmdSn(), n.maxCmdSn());
                    answerControl(n.initiatorTaskTag(), n);
                }
            }
            case IscsiPdu.LoginResponse r -> {
                if (!statSnKnown || r.statusClass() != 0) {
                    // The first Login Response sets the StatSN the connection starts from (RFC 7143, 11.13.4).
                    statSnKnown = r.statusClass() == 0;
                    expStatSn = r.statSn() + 1;
                    window(r.expCmdSn(), r.maxCmdSn());
                } else {
                    status(r.statSn(), r, r.expCmdSn(), r.maxCmdSn());
                }
                answerControl(r.initiatorTaskTag(), r);
            }
            case IscsiPdu.TextResponse r -> {
                status(r.statSn(), r, r.expCmdSn(), r.maxCmdSn());
                answerControl(r.initiatorTaskTag(), r);
            }
            case IscsiPdu.LogoutResponse r -> {
                status(r.statSn(), r, r.expCmdSn(), r.maxCmdSn());
                answerControl(r.initiatorTaskTag(), r);
            }
            case IscsiPdu.TaskManagementResponse r -> {
                status(r.statSn(), r, r.expCmdSn(), r.maxCmdSn());
                answerControl(r.initiatorTaskTag(), r);
            }
            case IscsiPdu.AsyncMessage m -> {
                window(m.expCmdSn(), m.maxCmdSn());
                // 11.9.1: 1 asks for a logout, 2 and 3 announce the connection's or session's end, 4 asks for a
                // Text negotiation. The session decides nothing on them here: a dropped connection fails the tasks.
                log.warn("{}: Asynchronous Message, AsyncEvent {} (parameters {}, {}, {})", name, m.asyncEvent(),
                        m.parameter1(), m.parameter2(), m.parameter3());
                m.release();
            }
            case IscsiPdu.Reject r -> onReject(r);
            case IscsiPdu.Malformed m -> onMalformed(m);
            default -> {
                String text = pdu.toString();
                ReferenceCountUtil.release(pdu);
                throw new ProtocolViolation("the target sent an initiator PDU: " + text);
            }
        }
    }

    /**
     * A PDU carrying status: its StatSN must be the one expected (at error recovery level 0 on one connection a gap
     * is a lost status, RFC 7143, 4.2.2.2); ExpStatSN moves past it.
     */
    private void status(int statSn, IscsiPdu pdu, int exp, int max) {
        if (statSnKnown && statSn != expStatSn) {
            String text = pdu.toString();
            ReferenceCountUtil.release(pdu);
            throw new ProtocolViolation("StatSN " + Integer.toUnsignedString(statSn) + " where "
                    + Integer.toUnsignedString(expStatSn) + " was expected, in " + text);
        }
        expStatSn = statSn + 1;
        window(exp, max);
    }

    /**
     * ExpCmdSN and MaxCmdSN move forward only; a pair with MaxCmdSN below ExpCmdSN - 1 is ignored (RFC 7143,
     * 4.2.2.1). MaxCmdSN = ExpCmdSN - 1 closes the window.
     */
    private void window(int exp, int max) {
        if (max - (exp - 1) < 0) {
            return;
        }
        if (exp - expCmdSn > 0) {
            expCmdSn = exp;
        }
        if (max - maxCmdSn > 0) {
            maxCmdSn = max;
        }
    }

    private Task lookup(int itt) {
        if (itt == RESERVED) {
            return null;
        }
        int slot = itt & (1 << SLOT_BITS) - 1;
        Task task = slot < tasks.length ? tasks[slot] : null;
        return task != null && task.itt == itt ? task : null;
    }

    private void answerControl(int itt, IscsiPdu response) {
        Task task = lookup(itt);
        if (!(task instanceof Task.Control c)) {
            String text = response.toString();
            ReferenceCountUtil.release(response);
            throw new ProtocolViolation("a response for ITT 0x" + Integer.toHexString(itt)
                    + ", which names no request in flight: " + text);
        }
        if (c.last.test(response)) {
            free(c);
        }
        if (!c.exchange.complete(response)) {
            ReferenceCountUtil.release(response);
        }
    }

    private void free(Task task) {
        tasks[task.slot] = null;
        slots.release(task.slot);
        if (task instanceof Task.Scsi) {
            scsiInFlight--;
        }
    }

    private Task.Scsi scsiTask(int itt, IscsiPdu pdu, String what) {
        Task task = lookup(itt);
        if (task instanceof Task.Scsi s) {
            return s;
        }
        String text = pdu.toString();
        ReferenceCountUtil.release(pdu);
        throw new ProtocolViolation(what + " for ITT 0x" + Integer.toHexString(itt)
                + ", which names no SCSI command in flight: " + text);
    }

    private void onScsiResponse(IscsiPdu.ScsiResponse r) {
        Task.Scsi task = scsiTask(r.initiatorTaskTag(), r, "SCSI Response");
        try {
            ByteBuf data = task.dataIn != null ? task.dataIn : Unpooled.EMPTY_BUFFER;
            task.dataIn = null;
            complete(task, new ScsiResult(r.response(), r.status(), r.sense(), data, r.overflow(), r.underflow(),
                    r.residualCount()));
        } finally {
            r.release();
        }
    }

    private void onDataIn(IscsiPdu.DataIn d) {
        Task.Scsi task = scsiTask(d.initiatorTaskTag(), d, "Data-In");
        try {
            int length = d.data().readableBytes();
            String error = null;
            if (d.dataSn() != task.nextDataSn) {
                error = "DataSN " + Integer.toUnsignedString(d.dataSn()) + ", expected " + task.nextDataSn;
            } else if (d.bufferOffset() != task.received) {
                // DataPDUInOrder=Yes (13.18): each Data-In continues where the last one ended.
                error = "Buffer Offset " + Integer.toUnsignedString(d.bufferOffset()) + ", expected " + task.received;
            } else if ((long) task.received + length > task.dataInLength) {
                error = "data up to byte " + ((long) task.received + length) + " of a command that reads "
                        + task.dataInLength;
            }
            if (error != null) {
                throw new ProtocolViolation("Data-In for ITT 0x" + Integer.toHexString(task.itt) + ": " + error);
            }
            task.nextDataSn++;
            if (length > 0) {
                if (task.dataIn == null && d.statusPresent()) {
                    task.dataIn = d.data().retain();
                } else {
                    if (task.dataIn == null) {
                        task.dataIn = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
                    }
                    ((CompositeByteBuf) task.dataIn).addComponent(true, d.data().retain());
                }
                task.received += length;
            }
            if (d.statusPresent()) {
                // The status phase collapsed into the last Data-In (11.7.4): no SCSI Response follows.
                ByteBuf data = task.dataIn != null ? task.dataIn : Unpooled.EMPTY_BUFFER;
                task.dataIn = null;
                complete(task, new ScsiResult(0, d.status(), new byte[0], data, d.overflow(), d.underflow(),
                        d.residualCount()));
            }
        } finally {
            d.release();
        }
    }

    private void onR2t(IscsiPdu.R2t r) {
        Task.Scsi task = scsiTask(r.initiatorTaskTag(), r, "R2T");
        long offset = Integer.toUnsignedLong(r.bufferOffset());
        long length = Integer.toUnsignedLong(r.desiredDataTransferLength());
        String error = null;
        if (task.dataOut == null) {
            error = "the command has no data to send";
        } else if (r.r2tSn() != task.nextR2tSn) {
            error = "R2TSN " + Integer.toUnsignedString(r.r2tSn()) + ", expected " + task.nextR2tSn;
        } else if (length == 0 || length > params.maxBurstLength()) {
            error = "Desired Data Transfer Length " + length + " outside 1.." + params.maxBurstLength()
                    + " (MaxBurstLength, RFC 7143, 13.13)";
        } else if (offset + length > task.dataOutLength) {
            error = offset + "+" + length + " beyond the " + task.dataOutLength + " bytes of the command";
        } else if (r.targetTransferTag() == RESERVED) {
            error = "the reserved Target Transfer Tag";
        }
        if (error != null) {
            throw new ProtocolViolation("R2T for ITT 0x" + Integer.toHexString(task.itt) + ": " + error);
        }
        task.nextR2tSn++;
        sendDataOut(task, r.targetTransferTag(), (int) offset, (int) length);
    }

    /** 11.18: a NOP-In with a TTT asks for a NOP-Out echoing it, its LUN and its data; immediate, CmdSN not taken. */
    private void onTargetPing(IscsiPdu.NopIn n) {
        try {
            if (n.targetTransferTag() != RESERVED) {
                ctx.write(new IscsiPdu.NopOut(true, n.lun(), RESERVED, n.targetTransferTag(), cmdSn, expStatSn,
                        n.data().retain()), ctx.voidPromise());
                flushPending = true;
            }
        } finally {
            n.release();
        }
    }

    /**
     * The target rejected one of our PDUs (11.17): the task whose tag is in the rejected header fails; the
     * connection goes on. The Reject itself advances StatSN as targets send it (Linux LIO and this project's).
     */
    private void onReject(IscsiPdu.Reject r) {
        try {
            if (r.statSn() - expStatSn >= 0) {
                expStatSn = r.statSn() + 1;
            }
            window(r.expCmdSn(), r.maxCmdSn());
            ByteBuf header = r.data();
            int itt = header.readableBytes() >= 20 ? header.getInt(header.readerIndex() + 16) : RESERVED;
            String reason = RejectReason.lookup(r.reason()).map(Enum::name).orElse("0x" + Integer.toHexString(r.reason()));
            IscsiTransportException e = new IscsiTransportException(name + ": the target rejected a PDU of ITT 0x"
                    + Integer.toHexString(itt) + ": " + reason);
            log.warn(e.getMessage());
            Task task = lookup(itt);
            if (task != null) {
                free(task);
                task.fail(e);
            }
        } finally {
            r.release();
        }
    }

    private void onMalformed(IscsiPdu.Malformed m) {
        String description = m.description();
        boolean fatal = m.fatal();
        ByteBuf header = m.header();
        int itt = header.readableBytes() >= 20 ? header.getInt(header.readerIndex() + 16) : RESERVED;
        m.release();
        if (fatal) {
            throw new ProtocolViolation("unreadable PDU from the target: " + description);
        }
        // A data digest error or an unknown opcode: the stream is still in step, the task (if any) fails.
        IscsiTransportException e = new IscsiTransportException(name + ": PDU of ITT 0x" + Integer.toHexString(itt)
                + " discarded: " + description);
        log.warn(e.getMessage());
        Task task = lookup(itt);
        if (task != null) {
            free(task);
            task.fail(e);
        }
    }

    private void complete(Task.Scsi task, ScsiResult result) {
        free(task);
        if (task.dataOut != null) {
            task.dataOut.release();
            task.dataOut = null;
        }
        // Commands that waited go first: they were submitted before anything a callback submits.
        startWaiting();
        if (!task.future.complete(result)) {
            result.close();
        }
    }

    // ---- failure ----

    /** The target broke the protocol: fail everything and close. */
    private void fatal(String reason) {
        IscsiTransportException e = new IscsiTransportException(name + ": protocol error, connection closed: " + reason);
        log.warn(e.getMessage());
        fail(e);
        ctx.close();
    }

    /** Fails every pending task with the first failure the connection saw; later submissions fail at once. */
    private void fail(IscsiTransportException e) {
        if (failure == null) {
            failure = e;
        }
        IscsiTransportException first = failure;
        for (int i = 0; i < tasks.length; i++) {
            Task task = tasks[i];
            if (task != null) {
                tasks[i] = null;
                task.fail(first);
            }
        }
        scsiInFlight = 0;
        Task task;
        while ((task = waitingControl.poll()) != null) {
            task.fail(first);
        }
        while ((task = waiting.poll()) != null) {
            task.fail(first);
        }
        failHandedOver(first);
    }
}
