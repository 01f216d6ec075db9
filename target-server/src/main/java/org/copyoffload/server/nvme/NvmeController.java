package org.copyoffload.server.nvme;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One controller: the association of a host with a subsystem, created by an admin-queue Connect. It owns
 * the controller properties (CAP, VS, CC, CSTS), the features, the I/O queues granted and connected, the
 * keep-alive timer, pending Asynchronous Event Requests, the error log and the health counters.
 */
public final class NvmeController {
    private static final Logger log = LoggerFactory.getLogger(NvmeController.class);
    /** AERL: four Asynchronous Event Requests may be outstanding (0's based 3). */
    static final int AERL = 3;
    /** CAP.TO in 500 ms units: how long a host waits for CSTS.RDY. */
    private static final int CAP_TIMEOUT = 20;

    private final NvmeTarget target;
    private final NvmeSubsystem subsystem;
    private final int cntlid;
    private final String hostNqn;
    private final byte[] hostId;
    private final long cap;
    private final QueueConnection adminQueue;
    private final Map<Integer, QueueConnection> ioQueues = new ConcurrentHashMap<>();
    private final Deque<CompletableFuture<CommandResult>> pendingAers = new ArrayDeque<>();
    private final Map<CompletableFuture<CommandResult>, Integer> aerCids = new java.util.IdentityHashMap<>();
    private final ErrorLog errorLog = new ErrorLog();
    private final HealthCounters health;
    private final Features features;

    private int cc;
    private int csts;
    private volatile int katoMs;
    private volatile long lastKeepAliveNanos = System.nanoTime();
    private ScheduledFuture<?> keepAliveTask;
    private boolean closed;

    NvmeController(NvmeTarget target, NvmeSubsystem subsystem, int cntlid, String hostNqn, byte[] hostId, int katoMs,
                   QueueConnection adminQueue) {
        this.target = target;
        this.subsystem = subsystem;
        this.cntlid = cntlid;
        this.hostNqn = hostNqn;
        this.hostId = hostId.clone();
        this.katoMs = katoMs;
        this.adminQueue = adminQueue;
        this.health = target.health(subsystem);
        boolean io = !subsystem.isDiscovery();
        this.cap = ControllerRegisters.capabilities(target.settings().maxQueueEntries() - 1, CAP_TIMEOUT, true, io, false);
        this.features = new Features(this, target.settings().maxIoQueues());
    }

    public int cntlid() {
        return cntlid;
    }

    public NvmeSubsystem subsystem() {
        return subsystem;
    }

    public NvmeTarget target() {
        return target;
    }

    public String hostNqn() {
        return hostNqn;
    }

    public byte[] hostId() {
        return hostId.clone();
    }

    public boolean hostIdMatches(byte[] other) {
        return java.util.Arrays.equals(hostId, other);
    }

    public String describe() {
        return subsystem.nqn() + "/" + cntlid;
    }

    Features features() {
        return features;
    }

    ErrorLog errorLog() {
        return errorLog;
    }

    HealthCounters health() {
        return health;
    }

    int katoMs() {
        return katoMs;
    }

    // ---- properties (NVMe Base 2.1, 3.1.4) ----

    public synchronized long propertyGet(int offset, int size) {
        return switch (offset) {
            case ControllerRegisters.CAP -> requireSize(size, 8, offset, cap);
            case ControllerRegisters.VS -> requireSize(size, 4, offset, subsystem.version().register());
            case ControllerRegisters.CC -> requireSize(size, 4, offset, cc);
            case ControllerRegisters.CSTS -> requireSize(size, 4, offset, csts);
            case ControllerRegisters.NSSR -> requireSize(size, 4, offset, 0);
            default -> throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND,
                    "Property Get of unknown offset 0x" + Integer.toHexString(offset));
        };
    }

    private static long requireSize(int size, int expected, int offset, long value) {
        if (size != expected) {
            throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND,
                    "property 0x" + Integer.toHexString(offset) + " is " + expected + " bytes, ATTRIB asked for " + size);
        }
        return expected == 4 ? value & 0xFFFFFFFFL : value;
    }

    public void propertySet(int offset, int size, long value) {
        if (offset != ControllerRegisters.CC) {
            throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND,
                    "Property Set of read-only or unknown offset 0x" + Integer.toHexString(offset));
        }
        if (size != 4) {
            throw new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND, "CC is 4 bytes, ATTRIB asked for " + size);
        }
        writeCc((int) value);
    }

    private void writeCc(int value) {
        boolean shutdown = false;
        boolean reset = false;
        synchronized (this) {
            int old = cc;
            cc = value;
            boolean wasEnabled = ControllerRegisters.ccEnable(old);
            boolean enable = ControllerRegisters.ccEnable(value);
            if (enable && !wasEnabled) {
                String problem = enableProblem(value);
                if (problem != null) {
                    log.warn("controller {}: fatal status on enable: {}", describe(), problem);
                    csts = ControllerRegisters.CSTS_CFS;
                    return;
                }
                csts = ControllerRegisters.CSTS_RDY;
                log.info("controller {} enabled for host {}", describe(), hostNqn);
            } else if (!enable && wasEnabled) {
                reset = true;
                csts = 0;
            }
            if (ControllerRegisters.ccShn(value) != 0 && ControllerRegisters.ccShn(old) == 0) {
                shutdown = true;
                csts = (csts & ~0xC) | ControllerRegisters.CSTS_SHST_OCCURRING;
            }
        }
        if (reset) {
            resetQueues("controller reset (CC.EN cleared)");
            features.reset();
            abortAsyncEventRequests();
        }
        if (shutdown) {
            // A shutdown makes the volatile write cache durable before reporting completion (3.6.1). The host
            // polls CSTS.SHST meanwhile, so the fsyncs run off the network thread that delivered the Property Set.
            target.ioExecutor().execute(this::completeShutdown);
        }
    }

    /**
     * Shutdown processing: SHST becomes "complete" only once every namespace is durable. A failed flush must not be
     * reported as a clean shutdown: CSTS.CFS is set instead (SHST stays "occurring") and the Error Information log
     * gets a Write Fault entry not tied to a command (CID FFFFh), counted as a media error in SMART / Health.
     */
    private void completeShutdown() {
        try {
            target.flush(subsystem.namespaces());
            synchronized (this) {
                if (ControllerRegisters.ccShn(cc) != 0) {
                    csts = (csts & ~0xC) | ControllerRegisters.CSTS_SHST_COMPLETE;
                }
            }
            log.info("controller {} shut down by host {}", describe(), hostNqn);
        } catch (NvmeTarget.FlushFailedException e) {
            synchronized (this) {
                csts |= ControllerRegisters.CSTS_CFS;
            }
            errorLog.record(0, 0xFFFF, StatusCode.WRITE_FAULT.status(), e.nsid(), 0);
            health.mediaError();
            log.error("controller {}: shutdown by host {} failed, data may not be durable: {}", describe(), hostNqn,
                    e.getMessage());
        } catch (RuntimeException e) {
            synchronized (this) {
                csts |= ControllerRegisters.CSTS_CFS;
            }
            log.error("controller {}: shutdown failed inside the target", describe(), e);
        }
    }

    private String enableProblem(int value) {
        if (ControllerRegisters.ccIosqes(value) != 6 && !subsystem.isDiscovery()) {
            return "CC.IOSQES " + ControllerRegisters.ccIosqes(value) + " (64-byte entries need 6)";
        }
        if (ControllerRegisters.ccIocqes(value) != 4 && !subsystem.isDiscovery()) {
            return "CC.IOCQES " + ControllerRegisters.ccIocqes(value) + " (16-byte entries need 4)";
        }
        if (ControllerRegisters.ccMps(value) != 0) {
            return "CC.MPS " + ControllerRegisters.ccMps(value) + " (only 4 KiB pages)";
        }
        int css = ControllerRegisters.ccCss(value);
        int capCss = ControllerRegisters.capCss(cap);
        boolean supported = switch (css) {
            case ControllerRegisters.CC_CSS_NVM -> (capCss & 1) != 0;
            case ControllerRegisters.CC_CSS_ALL_IO_COMMAND_SETS -> (capCss & (1 << 6)) != 0;
            case ControllerRegisters.CC_CSS_ADMIN_ONLY -> true;
            default -> false;
        };
        return supported ? null : "CC.CSS " + css + " not offered in CAP.CSS 0x" + Integer.toHexString(capCss);
    }

    public synchronized boolean isReady() {
        return ControllerRegisters.ccEnable(cc) && (csts & ControllerRegisters.CSTS_RDY) != 0 && !closed;
    }

    /** CC.CSS as enabled: 110b means every command set of the I/O Command Set Profile is enabled. */
    synchronized int enabledCommandSetSelection() {
        return ControllerRegisters.ccCss(cc);
    }

    // ---- queues ----

    /** Number of I/O queues granted by Set Features Number of Queues; 0 until the host asks. */
    int ioQueuesGranted() {
        return features.ioQueuesGranted();
    }

    synchronized void attachIoQueue(int qid, QueueConnection queue) {
        if (closed) {
            throw new NvmeCommandException(StatusCode.COMMAND_SEQUENCE_ERROR, "controller " + describe() + " is gone");
        }
        if (ioQueues.putIfAbsent(qid, queue) != null) {
            throw new NvmeCommandException(StatusCode.CONNECT_INVALID_PARAMETERS.dnr(),
                    (ConnectInvalidParameter.inCommand(org.copyoffload.protocol.nvme.fabrics.ConnectCommand.OFFSET_QID)),
                    "queue " + qid + " of controller " + describe() + " is already connected");
        }
    }

    boolean hasIoQueues() {
        return !ioQueues.isEmpty();
    }

    /** The transport lost an I/O queue's connection. */
    public void detachIoQueue(int qid, QueueConnection queue) {
        ioQueues.remove(qid, queue);
    }

    private void resetQueues(String reason) {
        List<QueueConnection> queues = new ArrayList<>(ioQueues.values());
        ioQueues.clear();
        for (QueueConnection q : queues) {
            q.close(reason);
        }
    }

    // ---- keep alive (NVMe Base 2.1, 3.9) ----

    /**
     * Starts the Keep Alive Timer: at Connect, or, for a host that must authenticate, once its admin queue has done so
     * (a DH exchange in a large group can take the host longer than KATO, and a host sends Keep Alive only after).
     */
    public void startKeepAlive() {
        lastKeepAliveNanos = System.nanoTime();
        scheduleKeepAlive();
    }

    private synchronized void scheduleKeepAlive() {
        if (keepAliveTask != null) {
            keepAliveTask.cancel(false);
            keepAliveTask = null;
        }
        int kato = katoMs;
        if (kato > 0 && !closed) {
            keepAliveTask = target.scheduler().scheduleWithFixedDelay(this::checkKeepAlive,
                    kato, Math.max(50, kato / 4), TimeUnit.MILLISECONDS);
        }
    }

    void keepAlive() {
        lastKeepAliveNanos = System.nanoTime();
    }

    void changeKeepAliveTimeout(int ms) {
        katoMs = ms;
        lastKeepAliveNanos = System.nanoTime();
        scheduleKeepAlive();
    }

    private void checkKeepAlive() {
        long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastKeepAliveNanos);
        if (katoMs > 0 && silentMs > katoMs) {
            log.warn("controller {}: keep alive timeout: host {} silent for {} ms (KATO {} ms)",
                    describe(), hostNqn, silentMs, katoMs);
            close("keep alive timeout");
        }
    }

    // ---- asynchronous events ----

    /** Queues an Asynchronous Event Request; it completes when an event is reported or the controller goes. */
    synchronized CompletableFuture<CommandResult> addAsyncEventRequest(int cid) {
        if (pendingAers.size() > AERL) {
            throw new NvmeCommandException(StatusCode.ASYNCHRONOUS_EVENT_REQUEST_LIMIT_EXCEEDED,
                    "more than " + (AERL + 1) + " Asynchronous Event Requests outstanding");
        }
        CompletableFuture<CommandResult> f = new CompletableFuture<>();
        pendingAers.add(f);
        aerCids.put(f, cid);
        return f;
    }

    /** Abort (5.1.1): only a pending Asynchronous Event Request can still be aborted here. */
    boolean abortAsyncEventRequest(int cid) {
        CompletableFuture<CommandResult> found = null;
        synchronized (this) {
            for (CompletableFuture<CommandResult> f : pendingAers) {
                if (aerCids.get(f) == cid) {
                    found = f;
                    break;
                }
            }
            if (found == null) {
                return false;
            }
            pendingAers.remove(found);
            aerCids.remove(found);
        }
        found.complete(CommandResult.error(StatusCode.COMMAND_ABORT_REQUESTED.status()));
        return true;
    }

    /** A controller reset ends outstanding Asynchronous Event Requests, so they no longer count against AERL. */
    private void abortAsyncEventRequests() {
        List<CompletableFuture<CommandResult>> aers;
        synchronized (this) {
            aers = new ArrayList<>(pendingAers);
            pendingAers.clear();
            aerCids.clear();
        }
        for (CompletableFuture<CommandResult> f : aers) {
            f.complete(CommandResult.error(StatusCode.COMMAND_ABORTED_SQ_DELETION.status()));
        }
    }

    // ---- lifetime ----

    public boolean isClosed() {
        synchronized (this) {
            return closed;
        }
    }

    /** Ends the association: every queue closes, pending requests are dropped, the CNTLID is freed. */
    public void close(String reason) {
        List<CompletableFuture<CommandResult>> aers;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (keepAliveTask != null) {
                keepAliveTask.cancel(false);
            }
            aers = new ArrayList<>(pendingAers);
            pendingAers.clear();
            aerCids.clear();
        }
        subsystem.unregister(this);
        log.info("controller {} for host {} (hostid {}) closed: {}", describe(), hostNqn,
                HexFormat.of().formatHex(hostId), reason);
        for (CompletableFuture<CommandResult> f : aers) {
            f.cancel(false);
        }
        resetQueues(reason);
        adminQueue.close(reason);
    }

    public void recordError(int sqid, int cid, org.copyoffload.protocol.nvme.NvmeStatus status, int nsid, long lba) {
        errorLog.record(sqid, cid, status, nsid, lba);
    }
}
