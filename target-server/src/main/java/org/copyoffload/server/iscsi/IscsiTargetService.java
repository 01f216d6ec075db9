package org.copyoffload.server.iscsi;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.copyoffload.backends.copy.CopyEngine;
import org.copyoffload.server.config.ConfigException;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.memory.DataBudget;
import org.copyoffload.server.nvme.NvmeTarget;
import org.copyoffload.server.scsi.ScsiTarget;
import org.copyoffload.server.volume.Volume;
import org.copyoffload.server.volume.VolumeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iSCSI side of the server, independent of sockets: the targets (each a {@link ScsiTarget} over volumes, with
 * its access list and CHAP), the sessions and their TSIHs, the portals SendTargets reports, the login limits, the
 * executor that runs SCSI I/O and the budget of solicited write data.
 */
public final class IscsiTargetService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IscsiTargetService.class);

    /** A configured target and the SCSI logical units behind it. */
    record Target(ServerConfig.IscsiTarget config, ScsiTarget scsi) {
        String name() {
            return config.name();
        }

        boolean allows(String initiatorName) {
            return config.allowAnyInitiator() || config.allowedInitiators().contains(initiatorName);
        }
    }

    /** A portal as SendTargets reports it (RFC 7143, 13.8: TargetAddress=address:port,tpgt). */
    public record AdvertisedPortal(String address, int port, int portalGroupTag) {
        String targetAddress() {
            String host = address.contains(":") ? "[" + address + "]" : address;
            return host + ":" + port + "," + portalGroupTag;
        }
    }

    private final ServerConfig.Iscsi config;
    private final Map<String, Target> targets = new LinkedHashMap<>();
    private final Map<Integer, IscsiSession> sessions = new ConcurrentHashMap<>();
    private final ExecutorService ioExecutor = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("iscsi-timers").daemon().factory());
    private final DataBudget writeData;
    private final IscsiMetrics metrics;
    private volatile List<AdvertisedPortal> portals = List.of();
    private int nextTsih = 1; // guarded by sessions

    /**
     * @param scratchDirectory where EXTENDED COPY keeps scratch stores for copies that overlap themselves: the data
     *                         directory, on the volumes' filesystem
     */
    public IscsiTargetService(ServerConfig.Iscsi config, VolumeSet volumes, IscsiMetrics metrics,
                              Path scratchDirectory) {
        this.config = config;
        this.metrics = metrics;
        this.writeData = new DataBudget(config.limits().maxWriteData());
        // EXTENDED COPY's scratch stores beside the volumes, where copy_file_range serves them (as NVMe Copy's).
        CopyEngine copyEngine = new CopyEngine(NvmeTarget.scratchStores(scratchDirectory));
        for (ServerConfig.IscsiTarget t : config.targets()) {
            Map<Long, Volume> luns = new TreeMap<>();
            for (ServerConfig.Lun l : t.luns()) {
                luns.put(l.lun(), volumes.get(l.volume()));
            }
            ScsiTarget scsi;
            try {
                // Persistent reservations with APTPL live beside the volumes, in the data directory.
                scsi = new ScsiTarget(t.name(), luns, ioExecutor, copyEngine, scratchDirectory);
            } catch (java.io.UncheckedIOException e) {
                throw new ConfigException("iscsi.targets." + t.name(), e.getMessage());
            }
            scsi.taskAborter(this::abortTasks);
            targets.put(t.name(), new Target(t, scsi));
        }
    }

    ServerConfig.IscsiLimits limits() {
        return config.limits();
    }

    ServerConfig.Chap discoveryChap() {
        return config.discoveryChap();
    }

    Target target(String name) {
        return targets.get(name);
    }

    Collection<Target> targets() {
        return targets.values();
    }

    /** Sets what SendTargets reports: the portals actually bound. */
    public void advertise(List<AdvertisedPortal> value) {
        portals = List.copyOf(value);
    }

    List<AdvertisedPortal> portals() {
        return portals;
    }

    DataBudget writeData() {
        return writeData;
    }

    public long writeDataBuffered() {
        return writeData.used();
    }

    IscsiMetrics metrics() {
        return metrics;
    }

    ExecutorService ioExecutor() {
        return ioExecutor;
    }

    ScheduledExecutorService timers() {
        return timers;
    }

    /** The session an added connection (TSIH != 0) joins, if it exists for this initiator port. */
    IscsiSession session(int tsih, String initiatorName, long isid) {
        IscsiSession s = sessions.get(tsih);
        return s != null && s.initiatorName().equals(initiatorName) && s.isid() == isid && !s.isClosed() ? s : null;
    }

    /**
     * Session reinstatement (RFC 7143, 6.3.5): a leading login with the ISID and initiator name of a session to the
     * same target ends that session first.
     */
    void reinstate(String initiatorName, long isid, String targetName) {
        for (IscsiSession s : List.copyOf(sessions.values())) {
            boolean sameTarget = s.isDiscovery() ? targetName == null : targetName != null && targetName.equals(s.target().name());
            if (s.initiatorName().equals(initiatorName) && s.isid() == isid && sameTarget) {
                log.info("session reinstatement: ending session TSIH {} of {} (ISID 0x{})", s.tsih(), initiatorName,
                        Long.toHexString(isid));
                s.end();
            }
        }
    }

    /** A new session with a TSIH no open session uses (never 0, RFC 7143 11.12.6). */
    IscsiSession open(String initiatorName, long isid, Target target,
                      org.copyoffload.protocol.iscsi.login.NegotiatedParameters parameters, int cmdSn, int portalGroupTag) {
        synchronized (sessions) {
            int tsih;
            do {
                tsih = nextTsih;
                nextTsih = nextTsih == 0xFFFF ? 1 : nextTsih + 1;
            } while (sessions.containsKey(tsih));
            IscsiSession s = new IscsiSession(this, initiatorName, isid, tsih, target, parameters, cmdSn,
                    config.limits().queueDepth(), portalGroupTag);
            sessions.put(tsih, s);
            metrics.sessionOpened();
            return s;
        }
    }

    void sessionEnded(IscsiSession s) {
        if (sessions.remove(s.tsih(), s)) {
            metrics.sessionClosed();
            if (s.target() != null) {
                s.target().scsi().nexusLost(s.nexus());
            }
            log.info("session TSIH {} of {} ended", s.tsih(), s.initiatorName());
        }
    }

    /**
     * PREEMPT AND ABORT: the tasks of the sessions of that I_T nexus at that LUN end without a response; the future
     * completes when every connection has aborted them.
     */
    private java.util.concurrent.CompletableFuture<Void> abortTasks(org.copyoffload.server.scsi.ItNexus nexus,
                                                                    long lun) {
        List<java.util.concurrent.CompletableFuture<Void>> aborts = new ArrayList<>();
        for (IscsiSession s : sessions.values()) {
            if (nexus.equals(s.nexus())) {
                s.connections().values().forEach(c -> aborts.add(c.abortTasksAt(lun)));
            }
        }
        return java.util.concurrent.CompletableFuture.allOf(
                aborts.toArray(java.util.concurrent.CompletableFuture[]::new));
    }

    Collection<IscsiSession> sessions() {
        return sessions.values();
    }

    /** SendTargets (RFC 7143, Appendix C): the targets this initiator may see, each with every portal. */
    List<String[]> sendTargets(String initiatorName, String which) {
        List<String[]> keys = new ArrayList<>();
        for (Target t : targets.values()) {
            if (!t.allows(initiatorName) || !(which.equals("All") || which.equals(t.name()))) {
                continue;
            }
            keys.add(new String[] {"TargetName", t.name()});
            for (AdvertisedPortal p : portals) {
                keys.add(new String[] {"TargetAddress", p.targetAddress()});
            }
        }
        return keys;
    }

    @Override
    public void close() {
        for (IscsiSession s : List.copyOf(sessions.values())) {
            s.end();
        }
        timers.shutdownNow();
        ioExecutor.shutdown();
    }
}
