package org.copyoffload.initiator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.security.SecureRandom;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.copyoffload.initiator.Await;
import org.copyoffload.initiator.Transport;
import org.copyoffload.protocol.iscsi.IscsiCodecSettings;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.IscsiPduDecoder;
import org.copyoffload.protocol.iscsi.IscsiPduEncoder;
import org.copyoffload.protocol.iscsi.login.ChapInitiator;
import org.copyoffload.protocol.iscsi.login.InitiatorNegotiation;
import org.copyoffload.protocol.iscsi.login.IscsiTextException;
import org.copyoffload.protocol.iscsi.login.LoginException;
import org.copyoffload.protocol.iscsi.login.NegotiatedParameters;
import org.copyoffload.protocol.iscsi.login.SessionType;
import org.copyoffload.protocol.iscsi.login.TextKey;
import org.copyoffload.protocol.iscsi.login.TextKeys;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.Lun;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseKey;
import org.copyoffload.protocol.scsi.OperationCode.ServiceActionIn16;
import org.copyoffload.protocol.scsi.ServiceActionIn16Cdb;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An iSCSI session of one connection (RFC 7143) to one target, logged in by {@link #login}: security negotiation
 * (AuthMethod None, or CHAP one-way or mutual), operational negotiation, then full feature phase. {@link #execute}
 * runs any CDB with data-out or data-in, asynchronously, as many at a time as {@link IscsiOptions#maxTasks()} and
 * the target's CmdSN window allow; the helpers ({@link #read16}, {@link #write16}, {@link #inquiry}, ...) build the
 * common CDBs and turn a status other than GOOD into {@link ScsiStatusException}. {@link #discover} runs a
 * Discovery session with SendTargets. {@link #close} logs out.
 *
 * <p>Futures complete on the connection's event loop: callbacks must not block there. Blocking helpers wait at most
 * {@link IscsiOptions#commandTimeout()}. Buffers follow Netty's rule: a buffer passed in is taken (and released by
 * the session), a buffer handed out is the receiver's to release.
 */
public final class IscsiSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IscsiSession.class);
    private static final int SECURITY = 0;
    private static final int OPERATIONAL = 1;
    private static final int FULL_FEATURE = 3;
    /** A login takes a few exchanges; a target that keeps it going longer than this is not negotiating. */
    private static final int MAX_LOGIN_EXCHANGES = 32;
    private static final Duration LOGOUT_TIMEOUT = Duration.ofSeconds(5);
    /** The initial CmdSN; any value will do (RFC 7143, 4.2.2.1), this one is what open-iscsi starts with. */
    private static final int FIRST_CMD_SN = 1;
    private static final int UNIT_ATTENTION_RETRIES = 3;

    private final IscsiOptions options;
    private final Transport transport;
    private final Channel channel;
    private final ConnectionHandler handler;
    private final IscsiTrafficCounters traffic;
    private final NegotiatedParameters parameters;
    private final int tsih;
    private final InitiatorNegotiation negotiation;
    private final AtomicBoolean closed = new AtomicBoolean();

    private IscsiSession(IscsiOptions options, Transport transport, Channel channel, ConnectionHandler handler,
                         IscsiTrafficCounters traffic, LoginOutcome login) {
        this.options = options;
        this.transport = transport;
        this.channel = channel;
        this.handler = handler;
        this.traffic = traffic;
        this.parameters = login.negotiation().result();
        this.tsih = login.tsih();
        this.negotiation = login.negotiation();
    }

    /** Logs in to {@link IscsiOptions#targetName()}; on any failure the connection is closed. */
    public static IscsiSession login(IscsiOptions options) {
        if (options.targetName() == null) {
            throw new IllegalArgumentException("a Normal session needs a target name; discover() runs Discovery");
        }
        return open(options, SessionType.NORMAL);
    }

    /**
     * Logs in a Discovery session, asks SendTargets=All (RFC 7143, Appendix C), logs out, and returns the targets
     * named, in order.
     */
    public static List<DiscoveredTarget> discover(IscsiOptions options) {
        try (IscsiSession session = open(options.withTargetName(null), SessionType.DISCOVERY)) {
            return session.sendTargets("All");
        }
    }

    private static IscsiSession open(IscsiOptions options, SessionType type) {
        Transport transport = new Transport("iscsi-initiator", 1);
        IscsiTrafficCounters traffic = new IscsiTrafficCounters();
        IscsiCodecSettings settings = IscsiCodecSettings.initiator();
        String name = "iSCSI " + options.address() + (options.targetName() == null ? "" : " " + options.targetName());
        ConnectionHandler handler = new ConnectionHandler(name, settings, options.maxTasks(), FIRST_CMD_SN);
        Channel channel = null;
        try {
            ChannelFuture connect = transport.bootstrap(options.connectTimeout())
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast("decoder", new IscsiPduDecoder(settings, transport.receiveWatermark()))
                                    .addLast("traffic", new IscsiTrafficMeter(traffic, settings))
                                    .addLast("encoder", new IscsiPduEncoder(settings))
                                    .addLast("connection", handler);
                        }
                    })
                    .connect(options.address());
            if (!connect.awaitUninterruptibly(options.connectTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                connect.channel().close();
                throw new IscsiTransportException(name + ": connect timed out");
            }
            if (!connect.isSuccess()) {
                throw new IscsiTransportException(name + ": cannot connect: " + connect.cause(), connect.cause());
            }
            channel = connect.channel();
            LoginOutcome login = new LoginSequence(handler, options, type).run();
            handler.enterFullFeaturePhase(login.negotiation().result());
            log.debug("{}: logged in, TSIH {}, {}", name, login.tsih(), login.negotiation().result());
            return new IscsiSession(options, transport, channel, handler, traffic, login);
        } catch (RuntimeException | Error e) {
            if (channel != null) {
                handler.closeByInitiator();
                channel.closeFuture().awaitUninterruptibly(1000);
            }
            transport.close();
            throw e;
        }
    }

    // ---- login ----

    private record LoginOutcome(InitiatorNegotiation negotiation, int tsih) {
    }

    /** The login phase (RFC 7143, 6.3): security stage, operational stage, then full feature phase. */
    private static final class LoginSequence {
        private final ConnectionHandler handler;
        private final IscsiOptions options;
        private final SessionType type;
        private final ChapInitiator chap;
        private final InitiatorNegotiation negotiation;
        private final Task.Control task = new Task.Control(null, pdu -> !(pdu instanceof IscsiPdu.LoginResponse r)
                || r.statusClass() != 0 || (r.transit() && r.nsg() == FULL_FEATURE));
        private int tsih;
        /** The T bit and NSG of the last (uncontinued) Login Response. */
        private boolean lastTransit;
        private int lastNsg;

        LoginSequence(ConnectionHandler handler, IscsiOptions options, SessionType type) {
            this.handler = handler;
            this.options = options;
            this.type = type;
            this.chap = new ChapInitiator(options.chap(), options.mutualChap(), new SecureRandom());
            this.negotiation = new InitiatorNegotiation(options.offer(), type);
        }

        LoginOutcome run() {
            List<TextKey> keys = new ArrayList<>();
            keys.add(new TextKey("InitiatorName", options.initiatorName()));
            keys.add(new TextKey(SessionType.KEY, type.text()));
            if (type == SessionType.NORMAL) {
                keys.add(new TextKey("TargetName", options.targetName()));
            }
            keys.addAll(chap.first());
            int csg = SECURITY;
            boolean transit = chap.mayTransit();
            int nsg = OPERATIONAL;
            for (int exchange = 0; exchange < MAX_LOGIN_EXCHANGES; exchange++) {
                List<TextKey> answers = exchange(exchange == 0, keys, csg, transit, nsg);
                List<TextKey> next = new ArrayList<>();
                try {
                    if (csg == SECURITY) {
                        next.addAll(chap.accept(answers));
                    }
                    next.addAll(negotiation.accept(answers));
                } catch (LoginException | IscsiTextException e) {
                    throw new IscsiLoginException("login to " + options.targetName() + " at " + options.address()
                            + " given up: " + e.getMessage(), e);
                }
                if (lastTransit) {
                    if (csg == SECURITY && !chap.complete()) {
                        throw new IscsiLoginException("the target left the security stage before the initiator"
                                + " authenticated it (RFC 7143, 12.1.3)", null);
                    }
                    boolean enteringOperational = csg == SECURITY && lastNsg == OPERATIONAL;
                    csg = lastNsg;
                    if (csg == FULL_FEATURE) {
                        return new LoginOutcome(negotiation, tsih);
                    }
                    if (enteringOperational) {
                        next.addAll(0, negotiation.proposals());
                    }
                }
                if (csg == SECURITY) {
                    transit = chap.mayTransit();
                    nsg = OPERATIONAL;
                } else {
                    transit = true;
                    nsg = FULL_FEATURE;
                }
                keys = next;
            }
            throw new IscsiLoginException("the login did not reach full feature phase in " + MAX_LOGIN_EXCHANGES
                    + " exchanges", null);
        }

        /** One Login Request and its answer, following a continued (C=1) response to its end (RFC 7143, 6.1). */
        private List<TextKey> exchange(boolean first, List<TextKey> keys, int csg, boolean transit, int nsg) {
            ByteBuf text = Unpooled.buffer();
            try {
                IscsiPdu.LoginResponse r = send(first, keys, csg, transit, nsg);
                while (true) {
                    try {
                        if (r.statusClass() != 0) {
                            String detail = r.data().isReadable() ? " " + keysOf(r) : "";
                            throw new IscsiLoginException("login to " + options.targetName() + " at "
                                    + options.address() + " refused" + detail, r.statusClass(), r.statusDetail());
                        }
                        if (r.tsih() != 0) {
                            tsih = r.tsih();
                        }
                        text.writeBytes(r.data(), r.data().readerIndex(), r.data().readableBytes());
                        if (!r.cont()) {
                            lastTransit = r.transit();
                            lastNsg = r.nsg();
                            if (r.csg() != csg) {
                                throw new IscsiLoginException("Login Response in stage " + r.csg() + " to a request"
                                        + " in stage " + csg + " (RFC 7143, 11.13.3)", null);
                            }
                            break;
                        }
                    } finally {
                        r.release();
                    }
                    r = send(false, List.of(), csg, false, 0);
                }
                return TextKeys.decode(text);
            } catch (IscsiTextException e) {
                throw new IscsiLoginException("the target's login text is malformed: " + e.getMessage(), e);
            } finally {
                text.release();
            }
        }

        private static String keysOf(IscsiPdu.LoginResponse r) {
            try {
                return TextKeys.decode(r.data()).toString();
            } catch (IscsiTextException e) {
                return "";
            }
        }

        private IscsiPdu.LoginResponse send(boolean first, List<TextKey> keys, int csg, boolean transit, int nsg) {
            ByteBuf data = Unpooled.buffer(TextKeys.encodedLength(keys));
            TextKeys.encode(keys, data);
            long isid = options.isid();
            int sessionHandle = tsih;
            Task.Control.Request request = (itt, cmdSn, expStatSn) -> new IscsiPdu.LoginRequest(transit, false, csg,
                    transit ? nsg : 0, 0, 0, isid, sessionHandle, itt, 0, cmdSn, expStatSn, data);
            CompletableFuture<IscsiPdu> answer;
            if (first) {
                task.request = request;
                answer = handler.control(task);
            } else {
                answer = handler.continueControl(task, request);
            }
            IscsiPdu pdu = await(answer, options.connectTimeout(), "Login Response");
            if (pdu instanceof IscsiPdu.LoginResponse r) {
                return r;
            }
            String text = pdu.toString();
            ReferenceCountUtil.release(pdu);
            throw new IscsiLoginException("the target answered a Login Request with " + text, null);
        }
    }

    // ---- full feature phase ----

    /**
     * Runs one SCSI command on logical unit {@code lun}: the CDB as given (padded to 16 bytes; longer ones travel in
     * an Extended CDB AHS), {@code dataOut} (taken; null for none) sent as immediate, unsolicited and R2T-solicited
     * data, or up to {@code dataInLength} bytes read. The future holds the result whatever the status; it fails
     * with {@link IscsiTransportException} when the connection fails or the target rejects the command.
     */
    public CompletableFuture<ScsiResult> execute(int lun, byte[] cdb, ByteBuf dataOut, int dataInLength) {
        return handler.submit(Lun.encode(lun), cdb, dataOut, dataInLength);
    }

    /**
     * As {@link #execute}, but a status other than GOOD fails the future with {@link ScsiStatusException}. A
     * CHECK CONDITION with UNIT ATTENTION (a new I_T nexus after login, a reset, a changed mode page) is retried, up
     * to {@value #UNIT_ATTENTION_RETRIES} times, as the Linux SCSI layer retries it: the condition reports an event,
     * not a failure of this command.
     */
    public CompletableFuture<ScsiResult> executeGood(String what, int lun, byte[] cdb, ByteBuf dataOut,
                                                     int dataInLength) {
        CompletableFuture<ScsiResult> result = new CompletableFuture<>();
        attempt(what, lun, cdb, dataOut, dataInLength, UNIT_ATTENTION_RETRIES, result);
        return result;
    }

    /** The data-out buffer is kept (one reference) until no retry can need it any more. */
    private void attempt(String what, int lun, byte[] cdb, ByteBuf dataOut, int dataInLength, int retries,
                         CompletableFuture<ScsiResult> result) {
        ByteBuf out = dataOut == null || retries == 0 ? dataOut : dataOut.retainedDuplicate();
        execute(lun, cdb, out, dataInLength).whenComplete((r, error) -> {
            if (error == null && !r.isGood() && retries > 0 && isUnitAttention(r)) {
                r.close();
                attempt(what, lun, cdb, dataOut, dataInLength, retries - 1, result);
                return;
            }
            if (retries > 0) {
                ReferenceCountUtil.release(dataOut);
            }
            if (error != null) {
                result.completeExceptionally(error);
            } else if (r.isGood()) {
                result.complete(r);
            } else {
                ScsiStatusException e = new ScsiStatusException(what, r);
                r.close();
                result.completeExceptionally(e);
            }
        });
    }

    private static boolean isUnitAttention(ScsiResult r) {
        return r.response() == 0 && r.status() == ScsiStatus.CHECK_CONDITION.code()
                && r.senseData().map(s -> s.key() == SenseKey.UNIT_ATTENTION).orElse(false);
    }

    /** READ (16) of {@code blocks} blocks of {@code blockSize} bytes; the buffer is the caller's to release. */
    public CompletableFuture<ByteBuf> read16(int lun, long lba, int blocks, int blockSize) {
        byte[] cdb = new ReadWriteCdb(OperationCode.READ_16, lba, blocks, 0, false, false).encode();
        return executeGood("READ (16)", lun, cdb, null, Math.multiplyExact(blocks, blockSize)).thenApply(r -> {
            if (r.data().readableBytes() != blocks * blockSize) {
                r.close();
                throw new CompletionException(new IscsiTransportException("READ (16) of " + blocks * blockSize
                        + " bytes returned " + r.data().readableBytes()));
            }
            return r.data();
        });
    }

    /** WRITE (16) of {@code data} (taken; whole blocks of {@code blockSize}) at {@code lba}. */
    public CompletableFuture<Void> write16(int lun, long lba, ByteBuf data, int blockSize, boolean fua) {
        int length = data.readableBytes();
        if (length == 0 || length % blockSize != 0) {
            data.release();
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    length + " bytes is not a whole number of " + blockSize + "-byte blocks"));
        }
        byte[] cdb = new ReadWriteCdb(OperationCode.WRITE_16, lba, length / blockSize, 0, false, fua).encode();
        return executeGood("WRITE (16)", lun, cdb, data, 0).thenApply(r -> {
            r.close();
            return null;
        });
    }

    /** TEST UNIT READY; throws {@link ScsiStatusException} unless GOOD. */
    public void testUnitReady(int lun) {
        run("TEST UNIT READY", lun, new byte[6], null, 0).close();
    }

    /** INQUIRY: the standard data ({@code evpd} false, page 0) or a VPD page, at most {@code allocationLength} bytes. */
    public byte[] inquiry(int lun, boolean evpd, int page, int allocationLength) {
        try (ScsiResult r = run("INQUIRY", lun, new InquiryCdb(evpd, page, allocationLength).encode(), null,
                allocationLength)) {
            return ByteBufUtil.getBytes(r.data());
        }
    }

    /** What READ CAPACITY (16) says: the last LBA and the logical block length (SBC-4, 5.16.2). */
    public record Capacity(long lastLba, int blockLength) {
        public long blocks() {
            return lastLba + 1;
        }

        public long bytes() {
            return blocks() * blockLength;
        }
    }

    public Capacity readCapacity16(int lun) {
        byte[] cdb = new ServiceActionIn16Cdb(ServiceActionIn16.READ_CAPACITY_16.code(), 0, 32).encode();
        try (ScsiResult r = run("READ CAPACITY (16)", lun, cdb, null, 32)) {
            ByteBuf d = r.data();
            if (d.readableBytes() < 12) {
                throw new IscsiTransportException("READ CAPACITY (16) returned " + d.readableBytes() + " bytes");
            }
            return new Capacity(d.getLong(d.readerIndex()), d.getInt(d.readerIndex() + 8));
        }
    }

    /** Runs a command to GOOD, blocking; the result (with its data) is the caller's to close. */
    public ScsiResult run(String what, int lun, byte[] cdb, ByteBuf dataOut, int dataInLength) {
        requireNotOnEventLoop();
        return await(executeGood(what, lun, cdb, dataOut, dataInLength), options.commandTimeout(), what);
    }

    /** A NOP-Out ping (RFC 7143, 11.18) answered by a NOP-In echoing {@code data}; returns the echoed bytes. */
    public byte[] ping(byte[] data) {
        requireNotOnEventLoop();
        byte[] copy = data.clone();
        Task.Control task = new Task.Control((itt, cmdSn, expStatSn) -> new IscsiPdu.NopOut(true, 0, itt,
                IscsiPdu.RESERVED_TAG, cmdSn, expStatSn, Unpooled.wrappedBuffer(copy)), pdu -> true);
        IscsiPdu answer = await(handler.control(task), options.commandTimeout(), "NOP-In");
        try {
            if (!(answer instanceof IscsiPdu.NopIn n)) {
                throw new IscsiTransportException("NOP-Out answered with " + answer);
            }
            return ByteBufUtil.getBytes(n.data());
        } finally {
            ReferenceCountUtil.release(answer);
        }
    }

    /** A Text Request SendTargets={@code which} ("All" in a Discovery session), its continued answers joined. */
    public List<DiscoveredTarget> sendTargets(String which) {
        requireNotOnEventLoop();
        ByteBuf request = Unpooled.buffer();
        TextKeys.encode(List.of(new TextKey("SendTargets", which)), request);
        Task.Control task = new Task.Control(textRequest(request, IscsiPdu.RESERVED_TAG),
                pdu -> !(pdu instanceof IscsiPdu.TextResponse t) || (!t.cont() && t.finalFlag()));
        ByteBuf text = Unpooled.buffer();
        try {
            CompletableFuture<IscsiPdu> answer = handler.control(task);
            while (true) {
                IscsiPdu pdu = await(answer, options.commandTimeout(), "Text Response");
                if (!(pdu instanceof IscsiPdu.TextResponse t)) {
                    String s = pdu.toString();
                    ReferenceCountUtil.release(pdu);
                    throw new IscsiTransportException("SendTargets answered with " + s);
                }
                try {
                    text.writeBytes(t.data(), t.data().readerIndex(), t.data().readableBytes());
                    if (!t.cont() && t.finalFlag()) {
                        break;
                    }
                    // 11.10.4: more follows; an empty request with the target's TTT asks for it.
                    answer = handler.continueControl(task, textRequest(Unpooled.EMPTY_BUFFER, t.targetTransferTag()));
                } finally {
                    t.release();
                }
            }
            return targets(TextKeys.decode(text));
        } finally {
            text.release();
        }
    }

    private static Task.Control.Request textRequest(ByteBuf data, int ttt) {
        return (itt, cmdSn, expStatSn) -> new IscsiPdu.TextRequest(true, true, false, 0, itt, ttt, cmdSn, expStatSn,
                data);
    }

    /** TargetName starts a target; each TargetAddress after it belongs to it (RFC 7143, Appendix C). */
    private static List<DiscoveredTarget> targets(List<TextKey> keys) {
        List<DiscoveredTarget> targets = new ArrayList<>();
        String name = null;
        List<String> addresses = new ArrayList<>();
        for (TextKey k : keys) {
            if (k.name().equals("TargetName")) {
                if (name != null) {
                    targets.add(new DiscoveredTarget(name, addresses));
                }
                name = k.value();
                addresses = new ArrayList<>();
            } else if (k.name().equals("TargetAddress") && name != null) {
                addresses.add(k.value());
            }
        }
        if (name != null) {
            targets.add(new DiscoveredTarget(name, addresses));
        }
        return targets;
    }

    // ---- what the login agreed, and the connection's state ----

    public IscsiOptions options() {
        return options;
    }

    /** The operational parameters in force. */
    public NegotiatedParameters parameters() {
        return parameters;
    }

    /** The TSIH the target gave the session. */
    public int tsih() {
        return tsih;
    }

    public Optional<String> targetAlias() {
        return negotiation.targetAlias();
    }

    /** TargetPortalGroupTag as declared at login, -1 when none was. */
    public int targetPortalGroupTag() {
        return negotiation.targetPortalGroupTag();
    }

    /** The CmdSN the next command gets. */
    public int cmdSn() {
        return handler.cmdSn();
    }

    /** The target's MaxCmdSN as last seen: commands up to it may be in flight. */
    public int maxCmdSn() {
        return handler.maxCmdSn();
    }

    public int expCmdSn() {
        return handler.expCmdSn();
    }

    /** The StatSN expected next (what the initiator sends as ExpStatSN). */
    public int expStatSn() {
        return handler.expStatSn();
    }

    /** SCSI commands sent and not yet answered. */
    public int commandsInFlight() {
        return handler.scsiInFlight();
    }

    /**
     * The most SCSI commands that were in flight at once since login: the queue depth reached, which the target's
     * CmdSN window and {@link IscsiOptions#maxTasks()} bound.
     */
    public int peakCommandsInFlight() {
        return handler.peakScsiInFlight();
    }

    /** Bytes and PDUs of the connection, by opcode and direction. */
    /** The local address of this session's connection (how the target's per-connection metrics name it). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    public IscsiTrafficCounters traffic() {
        return traffic;
    }

    public boolean isOpen() {
        return channel.isActive() && handler.failure() == null;
    }

    // ---- logout ----

    /**
     * Logs out (close the session, RFC 7143, 11.14) and waits for the answer; commands still running finish first
     * at the target. Returns the Logout Response's Response field (0: closed successfully).
     */
    public int logout() {
        requireNotOnEventLoop();
        Task.Control task = new Task.Control((itt, cmdSn, expStatSn) -> new IscsiPdu.LogoutRequest(true, 0, itt, 0,
                cmdSn, expStatSn), pdu -> true);
        Duration timeout = options.commandTimeout().compareTo(LOGOUT_TIMEOUT) < 0 ? options.commandTimeout()
                : LOGOUT_TIMEOUT;
        IscsiPdu answer = await(handler.control(task), timeout, "Logout Response");
        try {
            if (!(answer instanceof IscsiPdu.LogoutResponse r)) {
                throw new IscsiTransportException("Logout answered with " + answer);
            }
            return r.response();
        } finally {
            ReferenceCountUtil.release(answer);
        }
    }

    /**
     * Logs out if the connection still works, then closes it; commands still pending fail. Bounded in time: a dead
     * target only skips the logout. From an event loop thread the work moves to a new thread.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        transport.runOffEventLoop("iscsi-session-close", this::shutdown);
    }

    private void shutdown() {
        try {
            if (isOpen()) {
                int response = logout();
                if (response != 0) {
                    log.warn("logout from {}: Response {}", options.targetName(), response);
                }
            }
        } catch (RuntimeException e) {
            log.debug("logout: {}", e.getMessage());
        } finally {
            handler.closeByInitiator();
            channel.closeFuture().awaitUninterruptibly(1000);
            transport.close();
        }
    }

    private void requireNotOnEventLoop() {
        if (transport.inEventLoop()) {
            throw new IllegalStateException("blocking iSCSI call on the session's event loop would deadlock");
        }
    }

    /** Waits for a future, rethrowing the task's own exception; a late result is released. */
    static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
        return Await.await(future, timeout, what, IscsiTransportException::new);
    }
}
