package org.copyoffload.initiator.nvme;

import org.copyoffload.initiator.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.identify.IdentifyController;
import org.copyoffload.protocol.nvme.identify.IdentifyNamespace;
import org.copyoffload.protocol.nvme.log.DiscoveryLogPage;
import org.copyoffload.protocol.nvme.zns.ZoneManagementReceive;
import org.copyoffload.protocol.nvme.zns.ZoneManagementSend;
import org.copyoffload.protocol.nvme.zns.ZoneReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An NVMe/TCP host connected to one controller: an admin queue and {@link HostOptions#ioQueues()} I/O
 * queues, each its own TCP connection. {@link #connect} brings the controller up the way Linux does
 * (Connect, CAP, VS, CC.EN, CSTS.RDY, Identify, Number of Queues, I/O Connects); {@link #close} shuts it
 * down (Disconnect the I/O queues, CC.SHN, CSTS.SHST) within bounded time.
 *
 * <p>{@link #submitAdmin} and {@link #submitIo} are asynchronous and safe from any thread. Futures
 * complete on the queue's event loop: callbacks must not block there. The admin helpers
 * ({@link #identifyController()} and the like) block, up to {@link HostOptions#commandTimeout()}; the I/O
 * helpers return futures. Buffers follow Netty's rule: a buffer passed in is taken (and released by the
 * host), a buffer handed out is the receiver's to release.
 */
public final class NvmeTcpHost implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NvmeTcpHost.class);
    /** Normal shutdown gets at most this long, as Linux's default shutdown_timeout. */
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration DISCONNECT_TIMEOUT = Duration.ofSeconds(2);

    private final HostOptions options;
    private final Transport transport;
    private final TrafficCounters traffic;
    private final NvmeTcpQueue admin;
    private final List<NvmeTcpQueue> ioQueues;
    private final int controllerId;
    private final ControllerBringUp.State state;
    private final int inCapsuleDataBytes;
    private final ScheduledFuture<?> keepAliveTask;
    private final AtomicBoolean closed = new AtomicBoolean();

    private NvmeTcpHost(HostOptions options, Transport transport, TrafficCounters traffic, NvmeTcpQueue admin,
                        List<NvmeTcpQueue> ioQueues, int controllerId, ControllerBringUp.State state,
                        int inCapsuleDataBytes) {
        this.options = options;
        this.transport = transport;
        this.traffic = traffic;
        this.admin = admin;
        this.ioQueues = List.copyOf(ioQueues);
        this.controllerId = controllerId;
        this.state = state;
        this.inCapsuleDataBytes = inCapsuleDataBytes;
        this.keepAliveTask = startKeepAlive();
    }

    /** Connects to the controller and brings it up; on any failure everything opened so far is closed. */
    public static NvmeTcpHost connect(HostOptions options) {
        int threads = Math.max(1, Math.min(options.ioQueues() + 1, Runtime.getRuntime().availableProcessors()));
        Transport transport = new Transport("nvme-tcp-host", threads);
        TrafficCounters traffic = new TrafficCounters();
        List<NvmeTcpQueue> opened = new ArrayList<>();
        try {
            Duration timeout = options.connectTimeout();
            NvmeTcpQueue admin = NvmeTcpQueue.open(transport, options, 0, options.adminQueueSize(),
                    NvmeTcpQueue.ADMIN_IN_CAPSULE, new TrafficCounters(traffic));
            opened.add(admin);
            int cntlid = admin.connect(options, ConnectData.DYNAMIC_CONTROLLER, options.keepAliveTimeoutMillis(), timeout);
            ControllerBringUp.State state = new ControllerBringUp(admin, timeout).enable();
            IdentifyController id = state.identify();
            int queues = grantedQueues(admin, options, timeout);
            int ioSize = ioQueueSize(options, state);
            int inCapsule = id.inCapsuleDataBytes();
            List<NvmeTcpQueue> io = new ArrayList<>();
            for (int qid = 1; qid <= queues; qid++) {
                NvmeTcpQueue q = NvmeTcpQueue.open(transport, options, qid, ioSize, inCapsule, new TrafficCounters(traffic));
                opened.add(q);
                q.connect(options, cntlid, 0, timeout);
                io.add(q);
            }
            log.info("connected to {} at {}: controller {}, {} I/O queue(s) of {} entries, in-capsule {} bytes",
                    options.subsystemNqn(), options.address(), cntlid, queues, ioSize, inCapsule);
            return new NvmeTcpHost(options, transport, traffic, admin, io, cntlid, state, inCapsule);
        } catch (RuntimeException | Error e) {
            for (NvmeTcpQueue q : opened) {
                q.close(Duration.ofSeconds(1));
            }
            transport.close();
            throw e;
        }
    }

    /** Set Features Number of Queues; the controller may grant fewer than asked (dw0, 0's based). */
    private static int grantedQueues(NvmeTcpQueue admin, HostOptions options, Duration timeout) {
        if (options.ioQueues() == 0) {
            return 0;
        }
        try (Completion c = Futures.await(admin.submit(NvmeCommands.setNumberOfQueues(options.ioQueues()), null, 0),
                timeout, "Set Features Number of Queues")) {
            if (!c.isSuccess()) {
                throw new NvmeStatusException("Set Features Number of Queues", c.cqe());
            }
            int granted = Math.min(c.dw0() & 0xFFFF, c.dw0() >>> 16) + 1;
            if (granted < options.ioQueues()) {
                log.warn("controller granted {} I/O queues of the {} asked for", granted, options.ioQueues());
            }
            return Math.min(granted, options.ioQueues());
        }
    }

    /** The I/O queue size, no larger than CAP.MQES + 1 allows nor MAXCMD if the controller sets it. */
    private static int ioQueueSize(HostOptions options, ControllerBringUp.State state) {
        int size = options.ioQueueSize();
        int mqes = (int) (state.cap() & 0xFFFF) + 1;
        int maxcmd = state.identify().maxcmd();
        int limit = maxcmd > 0 ? Math.min(mqes, maxcmd) : mqes;
        if (size > limit) {
            log.warn("I/O queue size {} reduced to {} (CAP.MQES+1 {}, MAXCMD {})", size, limit, mqes, maxcmd);
            size = Math.max(2, limit);
        }
        return size;
    }

    private ScheduledFuture<?> startKeepAlive() {
        int kato = options.keepAliveTimeoutMillis();
        if (kato <= 0) {
            return null;
        }
        long period = Math.max(1, kato / 2);
        return admin.channel().eventLoop().scheduleAtFixedRate(() ->
                submitAdmin(NvmeCommands.keepAlive(), null, 0).whenComplete((c, e) -> {
                    if (e != null) {
                        log.debug("Keep Alive failed: {}", e.toString());
                    } else {
                        if (!c.isSuccess()) {
                            log.warn("Keep Alive failed: {}", c.status());
                        }
                        c.close();
                    }
                }), period, period, TimeUnit.MILLISECONDS);
    }

    // ---- raw submission ----

    /**
     * Submits an admin command. The host sets CID, PSDT and the SGL. {@code dataOut} (taken, released by
     * the host) is write data; {@code dataInLength} the bytes to read; at most one of them.
     */
    public CompletableFuture<Completion> submitAdmin(SubmissionQueueEntry sqe, ByteBuf dataOut, int dataInLength) {
        return admin.submit(sqe, dataOut, dataInLength);
    }

    /** Submits an I/O command on I/O queue {@code queueIndex} (0-based: QID {@code queueIndex + 1}). */
    public CompletableFuture<Completion> submitIo(int queueIndex, SubmissionQueueEntry sqe, ByteBuf dataOut,
                                                  int dataInLength) {
        if (queueIndex < 0 || queueIndex >= ioQueues.size()) {
            ReferenceCountUtil.release(dataOut);
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "I/O queue " + queueIndex + " of " + ioQueues.size()));
        }
        return ioQueues.get(queueIndex).submit(sqe, dataOut, dataInLength);
    }

    // ---- what the bring-up learned ----

    public HostOptions options() {
        return options;
    }

    /** CNTLID the admin Connect returned. */
    /**
     * Re-authenticates every queue with a new DH-HMAC-CHAP transaction (NVMe Base 2.1, 8.3.4.5; what Linux does when
     * its secret changes), admin queue first.
     *
     * @throws DhchapFailureException a queue failed: the controller refuses its commands from then on
     */
    public void reauthenticate() {
        if (options.dhchap() == null) {
            throw new IllegalStateException("no DH-HMAC-CHAP secret was given");
        }
        admin.authenticate(options, options.commandTimeout());
        for (NvmeTcpQueue q : ioQueues) {
            q.authenticate(options, options.commandTimeout());
        }
    }

    public int controllerId() {
        return controllerId;
    }

    /** CAP as read at bring-up. */
    public long capabilities() {
        return state.cap();
    }

    /** VS as read at bring-up. */
    public int version() {
        return state.vs();
    }

    /** Identify Controller data read at bring-up. */
    public IdentifyController controller() {
        return state.identify();
    }

    public int ioQueueCount() {
        return ioQueues.size();
    }

    /** Entries of each I/O submission queue, as connected (may be below the size asked for). */
    public int ioQueueSize() {
        return ioQueues.isEmpty() ? 0 : ioQueues.get(0).size();
    }

    /** Commands that may be in flight on one I/O queue; more wait locally. */
    public int ioQueueDepth() {
        return ioQueues.isEmpty() ? 0 : ioQueues.get(0).depth();
    }

    /** Largest write sent in-capsule on an I/O queue (IOCCSZ * 16 - 64); larger writes go by R2T. */
    public int inCapsuleDataBytes() {
        return inCapsuleDataBytes;
    }

    /** MAXH2CDATA the controller announced on the queue's ICResp (QID 0 is the admin queue). */
    public int maxH2cData(int qid) {
        return queue(qid).icResp().maxH2cData();
    }

    /** Traffic of all queues together. */
    /**
     * The local addresses of this host's connections, admin queue first: how the target (its per-connection
     * metrics) and a packet capture tell this host's traffic apart.
     */
    public List<InetSocketAddress> localAddresses() {
        List<InetSocketAddress> all = new ArrayList<>();
        all.add((InetSocketAddress) admin.channel().localAddress());
        for (NvmeTcpQueue q : ioQueues) {
            all.add((InetSocketAddress) q.channel().localAddress());
        }
        return all;
    }

    public TrafficCounters traffic() {
        return traffic;
    }

    public TrafficCounters adminTraffic() {
        return admin.traffic();
    }

    public TrafficCounters ioTraffic(int queueIndex) {
        return ioQueues.get(queueIndex).traffic();
    }

    private NvmeTcpQueue queue(int qid) {
        return qid == 0 ? admin : ioQueues.get(qid - 1);
    }

    // ---- admin helpers (blocking) ----

    public IdentifyController identifyController() {
        try (Completion c = admin("Identify Controller", NvmeCommands.identify(Cns.CONTROLLER, 0, 0, 0), Cns.STRUCTURE_SIZE)) {
            return IdentifyController.decode(c.data());
        }
    }

    public IdentifyNamespace identifyNamespace(int nsid) {
        try (Completion c = admin("Identify Namespace " + nsid, NvmeCommands.identify(Cns.NAMESPACE, nsid, 0, 0),
                Cns.STRUCTURE_SIZE)) {
            return IdentifyNamespace.decode(c.data());
        }
    }

    /** Active namespace IDs in increasing order (CNS 02h), following the list past 1024 entries. */
    public List<Integer> activeNamespaces() {
        List<Integer> ids = new ArrayList<>();
        int after = 0;
        while (true) {
            int count = 0;
            try (Completion c = admin("Identify Active Namespace List",
                    NvmeCommands.identify(Cns.ACTIVE_NAMESPACE_LIST, after, 0, 0), Cns.STRUCTURE_SIZE)) {
                ByteBuf d = c.data();
                for (int i = 0; i + 4 <= Math.min(d.readableBytes(), Cns.STRUCTURE_SIZE); i += 4) {
                    int nsid = d.getIntLE(d.readerIndex() + i);
                    // The list ends at a zero entry and only ever increases; anything else ends it too.
                    if (nsid == 0 || Integer.compareUnsigned(nsid, after) <= 0) {
                        count = -1;
                        break;
                    }
                    ids.add(nsid);
                    after = nsid;
                    count++;
                }
            }
            if (count < Cns.STRUCTURE_SIZE / 4 || Integer.compareUnsigned(after, 0xFFFFFFFE) >= 0) {
                return ids;
            }
        }
    }

    /** Get Log Page: {@code length} bytes from byte {@code offset} (both dword multiples); the caller releases the result. */
    public ByteBuf getLogPage(int nsid, int lid, int lsp, long offset, int length) {
        Completion c = admin("Get Log Page 0x" + Integer.toHexString(lid),
                NvmeCommands.getLogPage(nsid, lid, lsp, offset, length), length);
        return c.data();
    }

    /** Set Features with the value in CDW11; returns completion dword 0. */
    public int setFeatures(int fid, int cdw11) {
        try (Completion c = admin("Set Features 0x" + Integer.toHexString(fid),
                NvmeCommands.setFeatures(0, fid, false, cdw11), 0)) {
            return c.dw0();
        }
    }

    /** Get Features (SEL as {@link NvmeCommands#SEL_CURRENT} and friends); returns completion dword 0. */
    public int getFeatures(int fid, int select, int cdw11) {
        try (Completion c = admin("Get Features 0x" + Integer.toHexString(fid),
                NvmeCommands.getFeatures(0, fid, select, cdw11), 0)) {
            return c.dw0();
        }
    }

    public void keepAlive() {
        admin("Keep Alive", NvmeCommands.keepAlive(), 0).close();
    }

    /** Property Get of a 4- or 8-byte controller property. */
    public long propertyGet(int offset, int sizeBytes) {
        try (Completion c = admin("Property Get 0x" + Integer.toHexString(offset),
                NvmeCommands.propertyGet(offset, sizeBytes), 0)) {
            return sizeBytes == 8 ? c.cqe().dw01() : Integer.toUnsignedLong(c.dw0());
        }
    }

    /** Runs one admin command to completion; a failed status becomes {@link NvmeStatusException}. */
    private Completion admin(String what, SubmissionQueueEntry sqe, int dataInLength) {
        requireNotOnEventLoop();
        Completion c = Futures.await(submitAdmin(sqe, null, dataInLength), options.commandTimeout(), what);
        if (!c.isSuccess()) {
            c.close();
            throw new NvmeStatusException(what, c.cqe());
        }
        return c;
    }

    private void requireNotOnEventLoop() {
        if (transport.inEventLoop()) {
            throw new IllegalStateException("blocking NVMe call on the host's event loop would deadlock");
        }
    }

    // ---- I/O helpers (asynchronous) ----

    /**
     * Reads {@code blocks} logical blocks of {@code lbaSize} bytes. The future fails with
     * {@link NvmeStatusException} on an error status; its buffer is the caller's to release.
     */
    public CompletableFuture<ByteBuf> read(int queueIndex, int nsid, long slba, int blocks, int lbaSize) {
        return submitIo(queueIndex, NvmeCommands.read(nsid, slba, blocks), null, Math.multiplyExact(blocks, lbaSize))
                .thenApply(c -> dataOrThrow("Read", c));
    }

    /** Writes {@code data} (taken; a whole number of {@code lbaSize} blocks) at {@code slba}. */
    public CompletableFuture<Void> write(int queueIndex, int nsid, long slba, ByteBuf data, int lbaSize, boolean fua) {
        int length = data.readableBytes();
        if (length == 0 || length % lbaSize != 0) {
            data.release();
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    length + " bytes is not a whole number of " + lbaSize + "-byte blocks"));
        }
        return submitIo(queueIndex, NvmeCommands.write(nsid, slba, length / lbaSize, fua), data, 0)
                .thenApply(c -> statusOrThrow("Write", c));
    }

    /**
     * Appends {@code data} (taken; whole blocks) to the zone starting at {@code zslba}; the future holds the LBA
     * the controller wrote it at (completion Dwords 0-1).
     */
    public CompletableFuture<Long> zoneAppend(int queueIndex, int nsid, long zslba, ByteBuf data, int lbaSize,
                                              boolean fua) {
        int length = data.readableBytes();
        if (length == 0 || length % lbaSize != 0) {
            data.release();
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    length + " bytes is not a whole number of " + lbaSize + "-byte blocks"));
        }
        return submitIo(queueIndex, NvmeCommands.zoneAppend(nsid, zslba, length / lbaSize, fua), data, 0)
                .thenApply(c -> {
                    statusOrThrow("Zone Append", c);
                    return Integer.toUnsignedLong(c.dw0()) | (long) c.dw1() << 32;
                });
    }

    /** A Zone Management Send action (Open, Close, Finish, Reset, Offline). */
    public CompletableFuture<Void> zoneSend(int queueIndex, ZoneManagementSend command) {
        return submitIo(queueIndex, command.toSqe(0), null, 0).thenApply(c -> statusOrThrow("Zone Management Send", c));
    }

    /** Report Zones from {@code slba} into a {@code bytes}-byte buffer, decoded. */
    public CompletableFuture<ZoneReport> reportZones(int queueIndex, int nsid, long slba, int bytes,
                                                     int reportingOptions, boolean partial) {
        ZoneManagementReceive command = ZoneManagementReceive.reportZones(nsid, slba, bytes, reportingOptions, partial);
        return submitIo(queueIndex, command.toSqe(0), null, bytes).thenApply(c -> {
            ByteBuf data = dataOrThrow("Report Zones", c);
            try {
                return ZoneReport.decode(data, bytes);
            } finally {
                data.release();
            }
        });
    }

    public CompletableFuture<Void> flush(int queueIndex, int nsid) {
        return submitIo(queueIndex, NvmeCommands.flush(nsid), null, 0).thenApply(c -> statusOrThrow("Flush", c));
    }

    private static ByteBuf dataOrThrow(String what, Completion c) {
        if (!c.isSuccess()) {
            c.close();
            throw new CompletionException(new NvmeStatusException(what, c.cqe()));
        }
        return c.data();
    }

    private static Void statusOrThrow(String what, Completion c) {
        c.close();
        if (!c.isSuccess()) {
            throw new CompletionException(new NvmeStatusException(what, c.cqe()));
        }
        return null;
    }

    // ---- discovery ----

    /**
     * Connects to the discovery controller at {@code address} (admin queue only), reads its whole
     * Discovery log page consistently (generation counter unchanged across the read) and disconnects.
     */
    public static DiscoveryLogPage discover(InetSocketAddress address, String hostNqn) {
        return discover(HostOptions.builder(address, HostOptions.DISCOVERY_NQN).hostNqn(hostNqn).ioQueues(0).build());
    }

    /** {@link #discover(InetSocketAddress, String)} with all options (the subsystem NQN is taken as given). */
    public static DiscoveryLogPage discover(HostOptions options) {
        try (NvmeTcpHost host = connect(options.toBuilder().ioQueues(0).build())) {
            return new DiscoveryLogReader(host).read();
        }
    }

    // ---- shutdown ----

    /**
     * Disconnects the I/O queues, shuts the controller down (CC.SHN normal, wait for CSTS.SHST complete,
     * at most 5 s) and closes every connection. Commands still pending fail. Each step is bounded, and a
     * dead controller only skips steps: close never hangs. From an event loop thread the work moves to a
     * new thread, since waiting there would deadlock.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        transport.runOffEventLoop("nvme-tcp-host-close", this::shutdown);
    }

    private void shutdown() {
        if (keepAliveTask != null) {
            keepAliveTask.cancel(false);
        }
        try {
            disconnectIoQueues();
            if (admin.isOpen()) {
                Duration timeout = options.commandTimeout().compareTo(SHUTDOWN_TIMEOUT) < 0
                        ? options.commandTimeout() : SHUTDOWN_TIMEOUT;
                new ControllerBringUp(admin, timeout).shutdown(state.cc(), timeout);
            }
        } catch (RuntimeException e) {
            log.warn("controller {} shutdown incomplete: {}", controllerId, e.getMessage());
        } finally {
            admin.close(Duration.ofSeconds(1));
            transport.close();
        }
    }

    /** Fabrics Disconnect on every open I/O queue at once, then close them; failures only get logged. */
    private void disconnectIoQueues() {
        List<CompletableFuture<Completion>> pending = new ArrayList<>();
        for (NvmeTcpQueue q : ioQueues) {
            if (q.isOpen()) {
                pending.add(q.submit(NvmeCommands.disconnect(), null, 0));
            }
        }
        long deadline = System.nanoTime() + DISCONNECT_TIMEOUT.toNanos();
        for (CompletableFuture<Completion> f : pending) {
            Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            try {
                Futures.await(f, left, "Disconnect").close();
            } catch (RuntimeException e) {
                log.debug("Disconnect: {}", e.getMessage());
            }
        }
        for (NvmeTcpQueue q : ioQueues) {
            q.close(Duration.ofSeconds(1));
        }
    }
}
