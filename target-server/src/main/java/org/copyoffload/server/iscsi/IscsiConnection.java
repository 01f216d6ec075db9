package org.copyoffload.server.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.copyoffload.protocol.iscsi.IscsiCodecSettings;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.IscsiPduEncoder;
import org.copyoffload.protocol.iscsi.RejectReason;
import org.copyoffload.protocol.iscsi.login.NegotiatedParameters;
import org.copyoffload.protocol.iscsi.login.TextKey;
import org.copyoffload.protocol.iscsi.login.TextKeys;
import org.copyoffload.protocol.scsi.Lun;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.server.metrics.ConnectionTraffic;
import org.copyoffload.server.net.LoopTasks;
import org.copyoffload.server.scsi.ScsiCommand;
import org.copyoffload.server.scsi.ScsiResponse;
import org.copyoffload.server.scsi.TaskAttribute;
import org.copyoffload.server.scsi.TaskManagementFunction;
import org.copyoffload.server.log.RateLimitedWarnings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One iSCSI connection (RFC 7143): the login phase (see {@link LoginExchange}), then the full feature phase of its
 * session: SCSI commands with immediate, unsolicited and R2T-solicited data, Data-In with the status collapsed into
 * the last PDU, SCSI Response with sense and residuals, NOP-Out/NOP-In both ways, task management, Text
 * (SendTargets), Logout and Reject. Its state lives on the channel's event loop; SCSI commands run in the SCSI layer
 * and their completions come back to the loop.
 */
public final class IscsiConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(IscsiConnection.class);
    /** Lines about misbehaving peers, rate-limited so that a flood of bad connections cannot fill the disk. */
    private static final RateLimitedWarnings TIMEOUTS = RateLimitedWarnings.of(log, "iSCSI connections closed for silence");
    private static final RateLimitedWarnings BAD_PDUS = RateLimitedWarnings.of(log, "bad or rejected iSCSI PDUs");
    private static final RateLimitedWarnings FAILURES = RateLimitedWarnings.of(log, "iSCSI connection failures");
    static final int RESERVED_TAG = 0xFFFFFFFF;
    /** Encoding without digests, for the copy of a rejected header. */
    private static final IscsiCodecSettings PLAIN = IscsiCodecSettings.target();

    private enum Phase { LOGIN, FULL_FEATURE, CLOSING }

    private final IscsiTargetService service;
    private final IscsiCodecSettings codec;
    private final int portalGroupTag;
    private final Map<Integer, IscsiTask> tasks = new HashMap<>();
    private final Map<Integer, IscsiTask> tasksByTransferTag = new HashMap<>();
    private final ArrayDeque<IscsiTask> waitingForBudget = new ArrayDeque<>();
    private final Runnable retryR2ts = () -> LoopTasks.execute(this.ctx.executor(), this::issueWaitingR2ts);
    private ChannelHandlerContext ctx;
    private String remote = "?";
    /** This connection's own traffic series, from channelActive until channelInactive. */
    private ConnectionTraffic traffic;
    private Phase phase = Phase.LOGIN;
    private LoginExchange login;
    private IscsiSession session;
    private NegotiatedParameters parameters;
    private int cid;
    private int statSn;
    private int nextTransferTag;
    private long connectionWriteData;
    private ScheduledFuture<?> loginTimeout;
    private ScheduledFuture<?> nopTimer;
    private long lastHeardNanos = System.nanoTime();
    private int pingTag = RESERVED_TAG;
    private long pingSentNanos;
    private TextContinuation textContinuation;
    private final List<Runnable> whenNoTasks = new ArrayList<>();

    public IscsiConnection(IscsiTargetService service, IscsiCodecSettings codec, int portalGroupTag) {
        this.service = service;
        this.codec = codec;
        this.portalGroupTag = portalGroupTag;
    }

    // ---------------------------------------------------------------- life cycle

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.remote = String.valueOf(ctx.channel().remoteAddress());
        this.login = new LoginExchange(service, this, portalGroupTag);
        service.metrics().connectionOpened();
        traffic = service.metrics().connection(ctx.channel().localAddress(), ctx.channel().remoteAddress());
        // The whole login must finish within iscsi.login-timeout, so sockets that say nothing, or stop half-way, cannot
        // pile up.
        long loginMs = service.limits().loginTimeout().toMillis();
        loginTimeout = ctx.executor().schedule(() -> {
            if (phase == Phase.LOGIN) {
                service.metrics().timedOut("login");
                withMdc(() -> TIMEOUTS.warn("closing connection from {}: no login within {} ms", remote, loginMs));
                ctx.close();
            }
        }, loginMs, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        phase = Phase.CLOSING;
        if (loginTimeout != null) {
            loginTimeout.cancel(false);
        }
        if (nopTimer != null) {
            nopTimer.cancel(false);
        }
        service.writeData().cancelWait(retryR2ts);
        waitingForBudget.clear();
        for (IscsiTask t : List.copyOf(tasks.values())) {
            if (!t.executing) {
                dropTask(t);
            } else {
                t.aborted = true; // its completion releases what it holds
            }
        }
        service.metrics().connectionClosed();
        if (traffic != null) {
            traffic.close();
        }
        if (session != null) {
            session.detach(cid, this);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        withMdc(() -> FAILURES.warn("connection from {} failed: {}", remote, cause.toString()));
        ctx.close();
    }

    /** Closes the connection from any thread (session end, reinstatement, reset). */
    void close(String reason) {
        if (ctx != null && ctx.channel().isActive()) {
            LoopTasks.execute(ctx.executor(), () -> {
                withMdc(() -> log.info("closing connection {} from {}: {}", cid, remote, reason));
                phase = Phase.CLOSING;
                ctx.close();
            });
        }
    }

    String remote() {
        return remote;
    }

    ChannelHandlerContext context() {
        return ctx;
    }

    // ---------------------------------------------------------------- inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        MDC.put("conn", remote);
        if (session != null) {
            MDC.put("ctrl", (session.isDiscovery() ? "discovery" : session.target().name()) + "/tsih" + session.tsih()
                    + "/cid" + cid);
        }
        try {
            if (!(msg instanceof IscsiPdu pdu)) {
                throw new IllegalStateException("unexpected message " + msg);
            }
            lastHeardNanos = System.nanoTime();
            if (phase == Phase.CLOSING) {
                return;
            }
            if (pdu instanceof IscsiPdu.Malformed m) {
                malformed(m);
                return;
            }
            long wire = wireLength(pdu);
            long data = dataLength(pdu);
            service.metrics().received(pdu.opcode(), wire, data);
            traffic.received(wire, data);
            if (phase == Phase.LOGIN) {
                login.receive(pdu);
                return;
            }
            switch (pdu) {
                case IscsiPdu.ScsiCommand c -> scsiCommand(c);
                case IscsiPdu.DataOut d -> dataOut(d);
                case IscsiPdu.NopOut n -> nopOut(n);
                case IscsiPdu.TaskManagementRequest t -> taskManagement(t);
                case IscsiPdu.TextRequest t -> text(t);
                case IscsiPdu.LogoutRequest l -> logout(l);
                case IscsiPdu.SnackRequest s -> reject(RejectReason.SNACK_REJECT, s, "SNACK at ErrorRecoveryLevel 0");
                case IscsiPdu.LoginRequest l -> {
                    reject(RejectReason.PROTOCOL_ERROR, l, "Login Request in full feature phase");
                    closeAfterFlush();
                }
                default -> {
                    reject(RejectReason.PROTOCOL_ERROR, pdu, "a target's PDU from the initiator: " + pdu.opcode());
                    closeAfterFlush();
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
            MDC.remove("conn");
            MDC.remove("ctrl");
        }
    }

    private void malformed(IscsiPdu.Malformed m) {
        BAD_PDUS.warn("bad PDU from {}: {} ({})", remote, m.description(), m.reason());
        if (phase == Phase.LOGIN) {
            // A Reject is not a login answer: a broken login ends with the login status of an initiator error.
            login.fail(org.copyoffload.protocol.iscsi.login.LoginStatus.INITIATOR_ERROR, m.description());
            return;
        }
        send(new IscsiPdu.Reject(m.reason().code(), statSn++, expCmdSn(), maxCmdSn(), 0, m.header().retain()));
        if (m.fatal()) {
            closeAfterFlush();
        }
    }

    // ---------------------------------------------------------------- login results

    /** The login phase ended with success: the connection enters full feature phase in {@code s}. */
    void enterFullFeaturePhase(IscsiSession s, int cid, NegotiatedParameters p) {
        this.session = s;
        this.cid = cid;
        this.parameters = p;
        this.phase = Phase.FULL_FEATURE;
        loginTimeout.cancel(false);
        // The final Login Response went out without digests; everything after it uses what was negotiated.
        codec.headerDigest(p.headerDigest());
        codec.dataDigest(p.dataDigest());
        codec.maxRecvDataSegmentLength(p.targetMaxRecvDataSegmentLength());
        // Checked at half the shorter of the two times, so each is kept to within that half.
        long check = Math.max(1, Math.min(service.limits().nopInInterval().toMillis(),
                service.limits().nopInTimeout().toMillis()) / 2);
        nopTimer = ctx.executor().scheduleWithFixedDelay(this::checkAlive, check, check, TimeUnit.MILLISECONDS);
    }

    int nextStatSn() {
        return statSn++;
    }

    void initialStatSn(int value) {
        statSn = value;
    }

    // ---------------------------------------------------------------- SCSI commands

    private void scsiCommand(IscsiPdu.ScsiCommand c) {
        if (session.isDiscovery()) {
            rejectInOrder(c.cmdSn(), c.immediate(), RejectReason.PROTOCOL_ERROR, c, "SCSI Command in a discovery session");
            return;
        }
        int immediateLength = c.data().readableBytes();
        String problem = null;
        if (tasks.containsKey(c.initiatorTaskTag()) || c.initiatorTaskTag() == RESERVED_TAG) {
            problem = "Initiator Task Tag 0x" + Integer.toHexString(c.initiatorTaskTag()) + " is already in use";
        } else if (immediateLength > 0 && !c.write()) {
            problem = "immediate data with W=0";
        } else if (immediateLength > 0 && !parameters.immediateData()) {
            problem = "immediate data while ImmediateData=No";
        } else if (immediateLength > parameters.firstBurstLength() || Integer.toUnsignedLong(immediateLength)
                > Integer.toUnsignedLong(c.expectedDataTransferLength())) {
            problem = immediateLength + " bytes of immediate data exceed FirstBurstLength "
                    + parameters.firstBurstLength() + " or the Expected Data Transfer Length";
        } else if (!c.finalFlag() && (!c.write() || parameters.initialR2T())) {
            problem = "F=0 but no unsolicited Data-Out may follow (W=0 or InitialR2T=Yes)";
        } else if (c.expectedDataTransferLength() < 0) {
            problem = "Expected Data Transfer Length " + Integer.toUnsignedString(c.expectedDataTransferLength())
                    + " is larger than this target handles";
        }
        if (problem != null) {
            rejectInOrder(c.cmdSn(), c.immediate(), problem.contains("Tag") ? RejectReason.TASK_IN_PROGRESS
                    : RejectReason.PROTOCOL_ERROR, c, problem);
            return;
        }
        long lun;
        try {
            lun = Lun.decode(c.lun());
        } catch (IllegalArgumentException e) {
            lun = -1; // the SCSI layer answers LOGICAL UNIT NOT SUPPORTED
        }
        int edtl = c.expectedDataTransferLength();
        int readLength = c.read() ? (c.write() ? Math.max(0, c.bidirectionalReadExpectedLength()) : edtl) : 0;
        IscsiTask task = new IscsiTask(ctx.alloc(), c.initiatorTaskTag(), c.lun(), lun, c.cdb(), c.cmdSn(), c.immediate(),
                c.write() ? edtl : 0, readLength, c.read(), c.write(), TaskAttribute.fromCode(c.attributes()));
        if (immediateLength > 0) {
            task.data.addComponent(true, c.data().retain());
            task.received = immediateLength;
        }
        task.unsolicitedOpen = c.write() && !c.finalFlag();
        task.unsolicitedLimit = Math.min(parameters.firstBurstLength(), task.expectedLength);
        tasks.put(task.initiatorTaskTag, task);
        List<IscsiSession.Pending> ready = session.accept(c.cmdSn(), c.immediate(),
                new IscsiSession.Pending(this, () -> ordered(task)));
        if (ready == null) {
            log.debug("CmdSN {} outside the window {}..{}: dropped", Integer.toUnsignedString(c.cmdSn()),
                    Integer.toUnsignedString(expCmdSn()), Integer.toUnsignedString(maxCmdSn()));
            tasks.remove(task.initiatorTaskTag);
            task.releaseData();
            return;
        }
        // Ordered commands count as in flight before any R2T goes out: an R2T sent between accept (which moved
        // ExpCmdSN) and taskStarted would announce a MaxCmdSN one too high, and the command an initiator then sends
        // at that MaxCmdSN would be dropped as outside the window.
        run(ready);
        if (task.write && !task.unsolicitedOpen) {
            issueR2ts(task);
        }
    }

    /** Runs commands whose turn came, each on its own connection's loop. */
    private void run(List<IscsiSession.Pending> ready) {
        for (IscsiSession.Pending p : ready) {
            if (p.connection() == this) {
                p.run().run();
            } else {
                LoopTasks.execute(p.connection().context().executor(), p.run());
            }
        }
    }

    /** The task's CmdSN came up. */
    private void ordered(IscsiTask task) {
        if (tasks.get(task.initiatorTaskTag) != task || task.aborted) {
            return;
        }
        task.ordered = true;
        session.taskStarted();
        if (task.dataComplete()) {
            execute(task);
        }
    }

    private void execute(IscsiTask task) {
        task.executing = true;
        ScsiCommand command = new ScsiCommand(session.nexus(), task.lun, task.cdb, task.data,
                task.write ? task.expectedLength : task.readLength, task.read, task.write, task.attribute,
                Integer.toUnsignedLong(task.initiatorTaskTag));
        CompletableFuture<ScsiResponse> result;
        try {
            result = session.target().scsi().execute(command);
        } catch (RuntimeException e) {
            log.error("SCSI command 0x{} failed inside the target", Integer.toHexString(task.scsiOpcode()), e);
            result = CompletableFuture.failedFuture(e);
        }
        result.whenComplete((response, error) -> {
            if (ctx.executor().inEventLoop()) {
                completed(task, response, error);
            } else {
                LoopTasks.execute(ctx.executor(), () -> completed(task, response, error), () -> {
                    if (response != null) {
                        response.release();
                    }
                });
            }
        });
    }

    private void completed(IscsiTask task, ScsiResponse response, Throwable error) {
        if (tasks.remove(task.initiatorTaskTag, task)) {
            session.taskEnded();
        }
        releaseTaskResources(task);
        if (error != null) {
            log.error("SCSI command 0x{} failed inside the target", Integer.toHexString(task.scsiOpcode()), error);
            response = ScsiResponse.status(ScsiStatus.BUSY);
        }
        service.metrics().command(task.scsiOpcode(), response.status(), System.nanoTime() - task.startNanos);
        if (task.aborted || !ctx.channel().isActive()) {
            response.release();
            if (task.onAborted != null) {
                task.onAborted.run();
            }
        } else {
            respond(task, response);
        }
        taskGone();
    }

    /**
     * Data-In and the status (RFC 7143, 11.7): at most the initiator's MaxRecvDataSegmentLength per PDU, a sequence
     * ends (F) every MaxBurstLength bytes, and a GOOD status without sense rides in the last Data-In (S bit). More
     * data-in than the Expected Data Transfer Length is cut there and reported as an overflow; less, as an underflow.
     */
    private void respond(IscsiTask task, ScsiResponse response) {
        ByteBuf in = response.dataIn();
        int available = in == null ? 0 : in.readableBytes();
        int limit = task.read ? task.readLength : 0;
        int send = Math.min(available, limit);
        boolean overflow = false;
        boolean underflow = false;
        int residual = 0;
        if (task.read) {
            if (available > limit) {
                overflow = true;
                residual = available - limit;
            } else if (available < limit) {
                underflow = true;
                residual = limit - available;
            }
        } else if (available > 0) {
            overflow = true;
            residual = available;
        }
        if (task.write) {
            // A write's residual compares the Expected Data Transfer Length with what the CDB asks for
            // (RFC 7143, 11.4.5.2): less sent is an overflow, more is an underflow.
            long needed = session.target().scsi().expectedDataOut(task.lun, task.cdb).orElse(task.expectedLength);
            if (needed > task.expectedLength) {
                overflow = true;
                underflow = false;
                residual = (int) Math.min(Integer.MAX_VALUE, needed - task.expectedLength);
            } else if (needed < task.expectedLength) {
                underflow = true;
                overflow = false;
                residual = (int) (task.expectedLength - needed);
            }
        }
        boolean collapse = response.status() == ScsiStatus.GOOD && response.sense().length == 0 && send > 0;
        int segment = parameters.initiatorMaxRecvDataSegmentLength();
        int burst = parameters.maxBurstLength();
        try {
            for (int offset = 0; offset < send; ) {
                int burstEnd = Math.min(send, (offset / burst + 1) * burst);
                int chunk = Math.min(segment, burstEnd - offset);
                boolean last = offset + chunk == send;
                boolean finalInSequence = offset + chunk == burstEnd;
                boolean status = last && collapse;
                send(new IscsiPdu.DataIn(finalInSequence, false, status && overflow, status && underflow, status,
                        status ? response.status().code() : 0, 0, task.initiatorTaskTag, RESERVED_TAG,
                        status ? statSn++ : statSn, expCmdSn(), maxCmdSn(), task.dataInSn++, offset,
                        status ? residual : 0, in.retainedSlice(in.readerIndex() + offset, chunk)));
                offset += chunk;
            }
        } finally {
            response.release();
        }
        if (!collapse) {
            ByteBuf sense = IscsiPdu.ScsiResponse.senseSegment(ctx.alloc(), response.sense());
            send(new IscsiPdu.ScsiResponse(false, false, overflow, underflow, 0, response.status().code(),
                    task.initiatorTaskTag, 0, statSn++, expCmdSn(), maxCmdSn(), task.read ? task.dataInSn : task.nextR2tSn,
                    0, residual, sense));
        }
        ctx.flush();
    }

    // ---------------------------------------------------------------- write data

    private void dataOut(IscsiPdu.DataOut d) {
        IscsiTask task = tasks.get(d.initiatorTaskTag());
        int length = d.data().readableBytes();
        if (task == null || !task.write) {
            reject(RejectReason.INVALID_PDU_FIELD, d, "Data-Out for Initiator Task Tag 0x"
                    + Integer.toHexString(d.initiatorTaskTag()) + ", which is no write in progress");
            return;
        }
        if (d.targetTransferTag() == RESERVED_TAG) {
            if (!task.unsolicitedOpen || d.bufferOffset() != task.received
                    || task.received + length > task.unsolicitedLimit) {
                protocolError(d, "unsolicited Data-Out at offset " + Integer.toUnsignedString(d.bufferOffset())
                        + " of " + length + " bytes: expected offset " + task.received + " within FirstBurstLength "
                        + task.unsolicitedLimit + (task.unsolicitedOpen ? "" : ", and none was allowed"));
                return;
            }
            if (d.dataSn() != task.unsolicitedDataSn++) {
                protocolError(d, "DataSN " + Integer.toUnsignedString(d.dataSn()) + ", expected " + (task.unsolicitedDataSn - 1));
                return;
            }
            append(task, d);
            if (d.finalFlag()) {
                task.unsolicitedOpen = false;
                issueR2ts(task);
            }
        } else {
            IscsiTask.Solicitation s = task.solicitations.get(d.targetTransferTag());
            if (s == null) {
                reject(RejectReason.INVALID_PDU_FIELD, d, "Data-Out with Target Transfer Tag 0x"
                        + Integer.toHexString(d.targetTransferTag()) + " that names no R2T of this task");
                return;
            }
            if (d.bufferOffset() != s.offset + s.received || s.received + length > s.length) {
                protocolError(d, "Data-Out at offset " + Integer.toUnsignedString(d.bufferOffset()) + " of " + length
                        + " bytes: the R2T asked for " + s.offset + "+" + s.length + ", " + s.received + " received");
                return;
            }
            if (d.dataSn() != s.nextDataSn++) {
                protocolError(d, "DataSN " + Integer.toUnsignedString(d.dataSn()) + ", expected " + (s.nextDataSn - 1));
                return;
            }
            if (d.finalFlag() != (s.received + length == s.length)) {
                protocolError(d, "F=" + d.finalFlag() + " but " + (s.length - s.received - length)
                        + " bytes of the R2T are still due");
                return;
            }
            append(task, d);
            s.received += length;
            if (s.received == s.length) {
                task.solicitations.remove(s.targetTransferTag);
                tasksByTransferTag.remove(s.targetTransferTag);
                issueR2ts(task);
            }
        }
        if (task.ordered && !task.executing && task.dataComplete()) {
            execute(task);
        }
    }

    private void append(IscsiTask task, IscsiPdu.DataOut d) {
        int length = d.data().readableBytes();
        if (length > 0) {
            task.data.addComponent(true, d.data().retain());
            task.received += length;
        }
    }

    /**
     * Sends R2Ts for the rest of a write, at most MaxOutstandingR2T at a time and MaxBurstLength each, as the
     * write-data budgets (this connection's and the target's) allow; beyond them the task waits.
     */
    private void issueR2ts(IscsiTask task) {
        if (task.unsolicitedOpen || task.aborted) {
            return;
        }
        boolean sent = false;
        while (task.solicitedUpTo < task.expectedLength && task.solicitations.size() < parameters.maxOutstandingR2T()) {
            if (task.solicitedUpTo < task.received) {
                task.solicitedUpTo = task.received; // immediate and unsolicited data came first
                continue;
            }
            int length = Math.min(parameters.maxBurstLength(), task.expectedLength - task.solicitedUpTo);
            if (connectionWriteData > 0 && connectionWriteData + length > service.limits().maxWriteDataPerConnection()
                    || !service.writeData().acquireOrWait(length, retryR2ts)) {
                if (!waitingForBudget.contains(task)) {
                    waitingForBudget.add(task);
                }
                break;
            }
            connectionWriteData += length;
            task.budgetHeld += length;
            int ttt = nextTransferTag();
            IscsiTask.Solicitation s = new IscsiTask.Solicitation(ttt, task.solicitedUpTo, length);
            task.solicitations.put(ttt, s);
            tasksByTransferTag.put(ttt, task);
            task.solicitedUpTo += length;
            ctx.write(out(new IscsiPdu.R2t(task.lunField, task.initiatorTaskTag, ttt, statSn, expCmdSn(), maxCmdSn(),
                    task.nextR2tSn++, s.offset, length)));
            sent = true;
        }
        if (sent) {
            ctx.flush();
        }
    }

    private void issueWaitingR2ts() {
        while (!waitingForBudget.isEmpty() && phase == Phase.FULL_FEATURE) {
            IscsiTask t = waitingForBudget.poll();
            int before = waitingForBudget.size();
            issueR2ts(t);
            if (waitingForBudget.size() > before) {
                break; // it went back to wait
            }
        }
    }

    private int nextTransferTag() {
        do {
            nextTransferTag++;
        } while (nextTransferTag == RESERVED_TAG || tasksByTransferTag.containsKey(nextTransferTag));
        return nextTransferTag;
    }

    private void releaseTaskResources(IscsiTask task) {
        task.releaseData();
        for (Integer ttt : task.solicitations.keySet()) {
            tasksByTransferTag.remove(ttt);
        }
        task.solicitations.clear();
        waitingForBudget.remove(task);
        if (task.budgetHeld > 0) {
            long held = task.budgetHeld;
            task.budgetHeld = 0;
            connectionWriteData -= held;
            service.writeData().release(held);
            if (!waitingForBudget.isEmpty()) {
                issueWaitingR2ts();
            }
        }
    }

    /** A task that never reached the SCSI layer goes away (abort, connection loss). */
    private void dropTask(IscsiTask task) {
        task.aborted = true;
        if (tasks.remove(task.initiatorTaskTag, task) && task.ordered) {
            session.taskEnded();
        }
        releaseTaskResources(task);
        taskGone();
    }

    // ---------------------------------------------------------------- NOP

    private void nopOut(IscsiPdu.NopOut n) {
        if (n.initiatorTaskTag() == RESERVED_TAG) {
            // The answer to our NOP-In (RFC 7143, 11.18): it carries our Target Transfer Tag, and gets no reply.
            if (n.targetTransferTag() == pingTag) {
                pingTag = RESERVED_TAG;
            }
            return;
        }
        ByteBuf ping = n.data().retain();
        List<IscsiSession.Pending> ready = session.accept(n.cmdSn(), n.immediate(), new IscsiSession.Pending(this, () -> {
            int echo = Math.min(ping.readableBytes(), parameters.initiatorMaxRecvDataSegmentLength());
            send(new IscsiPdu.NopIn(n.lun(), n.initiatorTaskTag(), RESERVED_TAG, statSn++, expCmdSn(), maxCmdSn(),
                    ping.retainedSlice(ping.readerIndex(), echo)));
            ping.release();
        }));
        if (ready == null) {
            ping.release();
            return;
        }
        run(ready);
    }

    /**
     * Pings an initiator silent for iscsi.nop-in-interval with a NOP-In that asks for an answer (RFC 7143, 11.19: a
     * valid Target Transfer Tag); drops one whose answer does not come within iscsi.nop-in-timeout.
     */
    private void checkAlive() {
        if (phase != Phase.FULL_FEATURE) {
            return;
        }
        long now = System.nanoTime();
        if (pingTag != RESERVED_TAG) {
            long timeoutMs = service.limits().nopInTimeout().toMillis();
            if (TimeUnit.NANOSECONDS.toMillis(now - pingSentNanos) >= timeoutMs) {
                service.metrics().timedOut("nop-in");
                withMdc(() -> TIMEOUTS.warn("closing connection from {}: NOP-In unanswered for {} ms", remote, timeoutMs));
                phase = Phase.CLOSING;
                ctx.close();
            }
            return;
        }
        if (TimeUnit.NANOSECONDS.toMillis(now - lastHeardNanos) >= service.limits().nopInInterval().toMillis()) {
            pingTag = nextTransferTag();
            pingSentNanos = now;
            send(new IscsiPdu.NopIn(0, RESERVED_TAG, pingTag, statSn, expCmdSn(), maxCmdSn(), Unpooled.EMPTY_BUFFER));
            ctx.flush();
        }
    }

    // ---------------------------------------------------------------- task management

    private void taskManagement(IscsiPdu.TaskManagementRequest t) {
        List<IscsiSession.Pending> ready = session.accept(t.cmdSn(), t.immediate(),
                new IscsiSession.Pending(this, () -> manage(t)));
        if (ready != null) {
            run(ready);
        }
    }

    private void manage(IscsiPdu.TaskManagementRequest t) {
        TaskManagementFunction function = TaskManagementFunction.lookup(t.function()).orElse(null);
        if (function == null || session.isDiscovery()) {
            tmfResponse(t, TaskManagementFunction.Response.FUNCTION_REJECTED);
            return;
        }
        long lun;
        try {
            lun = Lun.decode(t.lun());
        } catch (IllegalArgumentException e) {
            lun = -1;
        }
        long scsiLun = lun;
        switch (function) {
            case ABORT_TASK -> {
                IscsiTask task = tasks.get(t.referencedTaskTag());
                if (task == null) {
                    // RFC 7143, 11.6.1: a task that is not here, whose RefCmdSN is in the window and before the
                    // request's own CmdSN, was lost on the way and counts as aborted; otherwise it does not exist.
                    int ref = t.refCmdSn();
                    boolean inWindow = ref - session.expCmdSn() >= 0 && ref - session.maxCmdSn() <= 0;
                    tmfResponse(t, inWindow && ref - t.cmdSn() < 0
                            ? TaskManagementFunction.Response.FUNCTION_COMPLETE
                            : TaskManagementFunction.Response.TASK_DOES_NOT_EXIST);
                    return;
                }
                abort(List.of(task), () -> tmfResponse(t, TaskManagementFunction.Response.FUNCTION_COMPLETE));
            }
            case ABORT_TASK_SET, CLEAR_TASK_SET, LOGICAL_UNIT_RESET -> {
                if (!session.target().scsi().luns().contains(scsiLun)) {
                    tmfResponse(t, TaskManagementFunction.Response.LUN_DOES_NOT_EXIST);
                    return;
                }
                List<IscsiTask> victims = tasks.values().stream().filter(x -> x.lun == scsiLun).toList();
                abort(victims, () -> tmfResponse(t, session.target().scsi().manage(session.nexus(), function, scsiLun)));
            }
            case TARGET_WARM_RESET, TARGET_COLD_RESET -> abort(List.copyOf(tasks.values()), () -> {
                tmfResponse(t, session.target().scsi().manage(session.nexus(), function, scsiLun));
                if (function == TaskManagementFunction.TARGET_COLD_RESET) {
                    // A cold reset ends every session of the target after the response (RFC 7143, 11.5.1).
                    ctx.flush();
                    for (IscsiSession s : List.copyOf(service.sessions())) {
                        if (s.target() == session.target()) {
                            s.end();
                        }
                    }
                }
            });
            case TASK_REASSIGN -> tmfResponse(t, TaskManagementFunction.Response.TASK_REASSIGNMENT_NOT_SUPPORTED);
            case CLEAR_ACA -> tmfResponse(t, session.target().scsi().manage(session.nexus(), function, scsiLun));
        }
    }

    /**
     * Aborts this connection's tasks at a LUN for another I_T nexus's PREEMPT AND ABORT (SPC-4 5.13.11.2.5): with
     * TAS = 0 they end without a response. Runs on the connection's event loop; the future completes when the tasks
     * are gone (those already in the SCSI layer when they finish there).
     */
    CompletableFuture<Void> abortTasksAt(long lun) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        LoopTasks.execute(ctx.executor(), () -> abort(tasks.values().stream().filter(t -> t.lun == lun).toList(),
                () -> done.complete(null)), () -> done.complete(null));
        return done;
    }

    /** Aborts the tasks: those not yet in the SCSI layer at once, the others when they finish; then {@code done}. */
    private void abort(List<IscsiTask> victims, Runnable done) {
        int[] left = {0};
        for (IscsiTask task : victims) {
            if (task.executing) {
                left[0]++;
                task.aborted = true;
                session.target().scsi().abortTask(session.nexus(), task.lun,
                        Integer.toUnsignedLong(task.initiatorTaskTag));
                task.onAborted = () -> {
                    if (--left[0] == 0) {
                        done.run();
                    }
                };
            } else {
                dropTask(task);
            }
        }
        if (left[0] == 0) {
            done.run();
        }
    }

    private void tmfResponse(IscsiPdu.TaskManagementRequest t, TaskManagementFunction.Response response) {
        send(new IscsiPdu.TaskManagementResponse(response.code(), t.initiatorTaskTag(), statSn++, expCmdSn(), maxCmdSn()));
        ctx.flush();
    }

    // ---------------------------------------------------------------- text

    /** What is left of a Text Response that did not fit one PDU (RFC 7143, 11.10.2: continued with the C bit). */
    private record TextContinuation(int targetTransferTag, ByteBuf rest) {
    }

    private void text(IscsiPdu.TextRequest t) {
        ByteBuf data = t.data().retain();
        List<IscsiSession.Pending> ready = session.accept(t.cmdSn(), t.immediate(), new IscsiSession.Pending(this, () -> {
            try {
                answerText(t, data);
            } finally {
                data.release();
            }
        }));
        if (ready == null) {
            data.release();
            return;
        }
        run(ready);
    }

    private void answerText(IscsiPdu.TextRequest t, ByteBuf data) {
        ByteBuf answer;
        if (t.targetTransferTag() != RESERVED_TAG) {
            if (textContinuation == null || textContinuation.targetTransferTag() != t.targetTransferTag()) {
                reject(RejectReason.INVALID_PDU_FIELD, t, "Text Request continues no Text Response of ours");
                return;
            }
            answer = textContinuation.rest();
            textContinuation = null;
        } else {
            if (textContinuation != null) {
                textContinuation.rest().release(); // a new exchange resets the old one (RFC 7143, 11.10.4)
                textContinuation = null;
            }
            List<TextKey> keys;
            try {
                keys = TextKeys.decode(data);
            } catch (RuntimeException e) {
                reject(RejectReason.PROTOCOL_ERROR, t, "bad text keys: " + e.getMessage());
                return;
            }
            List<TextKey> reply = new ArrayList<>();
            for (TextKey k : keys) {
                if (k.name().equals("SendTargets")) {
                    String which = k.value().isEmpty() && !session.isDiscovery() ? session.target().name() : k.value();
                    if (session.isDiscovery() || !which.equals("All")) {
                        for (String[] kv : service.sendTargets(session.initiatorName(), which)) {
                            reply.add(new TextKey(kv[0], kv[1]));
                        }
                    } else {
                        reply.add(new TextKey("SendTargets", "Reject"));
                    }
                } else {
                    // Renegotiation in full feature phase is not offered: every other key is refused as such.
                    reply.add(new TextKey(k.name(), k.name().startsWith("X-") || k.name().startsWith("X#")
                            ? "NotUnderstood" : "Reject"));
                }
            }
            answer = ctx.alloc().buffer();
            TextKeys.encode(reply, answer);
        }
        int max = parameters.initiatorMaxRecvDataSegmentLength();
        if (answer.readableBytes() > max) {
            int ttt = nextTransferTag();
            ByteBuf first = answer.readRetainedSlice(max);
            textContinuation = new TextContinuation(ttt, answer);
            send(new IscsiPdu.TextResponse(false, true, 0, t.initiatorTaskTag(), ttt, statSn++, expCmdSn(), maxCmdSn(), first));
        } else {
            send(new IscsiPdu.TextResponse(true, false, 0, t.initiatorTaskTag(), RESERVED_TAG, statSn++, expCmdSn(),
                    maxCmdSn(), answer));
        }
        ctx.flush();
    }

    // ---------------------------------------------------------------- logout

    private void logout(IscsiPdu.LogoutRequest l) {
        List<IscsiSession.Pending> ready = session.accept(l.cmdSn(), l.immediate(),
                new IscsiSession.Pending(this, () -> answerLogout(l)));
        if (ready != null) {
            run(ready);
        }
    }

    private void answerLogout(IscsiPdu.LogoutRequest l) {
        int reason = l.reasonCode();
        if (reason == 2) {
            // Removing a connection for recovery needs ErrorRecoveryLevel 2 (RFC 7143, 11.15.1).
            sendLogoutResponse(l, 2, false);
            return;
        }
        if (reason == 1 && l.cid() != cid) {
            IscsiConnection other = session.connections().get(l.cid());
            if (other == null) {
                sendLogoutResponse(l, 1, false);
            } else {
                other.close("logged out by connection " + cid);
                sendLogoutResponse(l, 0, false);
            }
            return;
        }
        if (reason != 0 && reason != 1) {
            reject(RejectReason.PROTOCOL_ERROR, l, "logout reason code " + reason);
            return;
        }
        // Tasks waiting for data end now; those in the SCSI layer finish and answer before the Logout Response.
        abort(tasks.values().stream().filter(t -> !t.executing).toList(), () -> { });
        Runnable respond = () -> {
            sendLogoutResponse(l, 0, true);
            if (reason == 0) {
                session.end();
            }
        };
        if (tasks.isEmpty()) {
            respond.run();
        } else {
            whenNoTasks.add(respond);
        }
    }

    /** Runs what waits for this connection to have no task (a logout). */
    private void taskGone() {
        if (tasks.isEmpty() && !whenNoTasks.isEmpty()) {
            List<Runnable> waiting = List.copyOf(whenNoTasks);
            whenNoTasks.clear();
            waiting.forEach(Runnable::run);
        }
    }

    private void sendLogoutResponse(IscsiPdu.LogoutRequest l, int response, boolean close) {
        send(new IscsiPdu.LogoutResponse(response, l.initiatorTaskTag(), statSn++, expCmdSn(), maxCmdSn(),
                response == 0 ? 0 : parameters.defaultTime2Wait(), 0));
        if (close) {
            phase = Phase.CLOSING;
            closeAfterFlush();
        } else {
            ctx.flush();
        }
    }

    // ---------------------------------------------------------------- errors and sending

    private void protocolError(IscsiPdu pdu, String reason) {
        reject(RejectReason.PROTOCOL_ERROR, pdu, reason);
    }

    /** Reject (RFC 7143, 11.17) with the offending PDU's header. */
    void reject(RejectReason reason, IscsiPdu pdu, String why) {
        withMdc(() -> BAD_PDUS.warn("rejecting {} from {}: {} ({})", pdu.opcode(), remote, why, reason));
        send(new IscsiPdu.Reject(reason.code(), statSn++, expCmdSn(), maxCmdSn(), 0, rejectedHeader(pdu)));
        ctx.flush();
    }

    /** A rejected command still takes its CmdSN, so the window moves on (RFC 7143, 11.17.1). */
    private void rejectInOrder(int cmdSn, boolean immediate, RejectReason reason, IscsiPdu pdu, String why) {
        ByteBuf header = rejectedHeader(pdu);
        List<IscsiSession.Pending> ready = session.accept(cmdSn, immediate, new IscsiSession.Pending(this, () -> {
            withMdc(() -> BAD_PDUS.warn("rejecting {} from {}: {} ({})", pdu.opcode(), remote, why, reason));
            send(new IscsiPdu.Reject(reason.code(), statSn++, expCmdSn(), maxCmdSn(), 0, header));
            ctx.flush();
        }));
        if (ready == null) {
            header.release();
            return;
        }
        run(ready);
    }

    /** The 48-byte BHS of a PDU as it came, for the Reject's data segment (RFC 7143, 11.17.3). */
    private ByteBuf rejectedHeader(IscsiPdu pdu) {
        int dataLength = pdu instanceof IscsiPdu.WithData w ? w.data().readableBytes() : 0;
        ByteBuf header = IscsiPduEncoder.encodeHeader(ctx.alloc(), pdu, dataLength, PLAIN);
        try {
            return header.copy(header.readerIndex(), IscsiPdu.BHS_LENGTH);
        } finally {
            header.release();
        }
    }

    private int expCmdSn() {
        return session == null ? 0 : session.expCmdSn();
    }

    private int maxCmdSn() {
        return session == null ? 0 : session.maxCmdSn();
    }

    /** Writes a PDU (flushed by the caller), counting it. */
    void send(IscsiPdu pdu) {
        ctx.write(out(pdu));
    }

    void sendAndFlush(IscsiPdu pdu) {
        ctx.writeAndFlush(out(pdu));
    }

    private IscsiPdu out(IscsiPdu pdu) {
        long wire = wireLength(pdu);
        long data = dataLength(pdu);
        service.metrics().sent(pdu.opcode(), wire, data);
        if (traffic != null) {
            traffic.sent(wire, data);
        }
        return pdu;
    }

    /** The PDU's data segment bytes, without padding and digest. */
    private static long dataLength(IscsiPdu pdu) {
        return pdu instanceof IscsiPdu.WithData w && !(pdu instanceof IscsiPdu.Malformed) ? w.data().readableBytes() : 0;
    }

    /** Bytes the PDU takes on the wire with the current digests: header, AHS, padded data, digests. */
    private long wireLength(IscsiPdu pdu) {
        long n = 48;
        if (pdu instanceof IscsiPdu.ScsiCommand c && c.cdb().length > 16) {
            n += 4 + ((c.cdb().length - 16 + 1 + 3) & ~3);
        }
        if (codec.headerDigest()) {
            n += 4;
        }
        if (pdu instanceof IscsiPdu.WithData w && !(pdu instanceof IscsiPdu.Malformed)) {
            int data = w.data().readableBytes();
            if (data > 0) {
                n += (data + 3) & ~3;
                if (codec.dataDigest()) {
                    n += 4;
                }
            }
        }
        return n;
    }

    void closeAfterFlush() {
        phase = Phase.CLOSING;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    void withMdc(Runnable r) {
        MDC.put("conn", remote);
        try {
            r.run();
        } finally {
            MDC.remove("conn");
        }
    }
}
