package org.copyoffload.server.iscsi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.copyoffload.protocol.iscsi.login.NegotiatedParameters;
import org.copyoffload.server.scsi.ItNexus;

/**
 * One iSCSI session (RFC 7143, 4.1): an initiator port (initiator name + ISID) logged in to a target, or a discovery
 * session, with its connections and the command numbering they share. Commands are delivered to the SCSI layer in
 * CmdSN order across all connections (RFC 7143, 4.2.2.1); the window the target advertises (ExpCmdSN..MaxCmdSN)
 * shrinks with the tasks in flight, so an initiator cannot queue more than {@code queueDepth}.
 */
final class IscsiSession {
    /** A command waiting for its turn, and who runs it. */
    record Pending(IscsiConnection connection, Runnable run) {
    }

    private final IscsiTargetService service;
    private final String initiatorName;
    private final long isid;
    private final int tsih;
    private final IscsiTargetService.Target target; // null for a discovery session
    private final NegotiatedParameters parameters;
    private final ItNexus nexus;
    private final int queueDepth;
    private final Map<Integer, IscsiConnection> connections = new ConcurrentHashMap<>();
    private final TreeMap<Integer, Pending> waiting = new TreeMap<>((a, b) -> Integer.compare(a - b, 0));
    private int expCmdSn;   // guarded by this
    private int tasksInFlight; // guarded by this
    private boolean closed; // guarded by this

    IscsiSession(IscsiTargetService service, String initiatorName, long isid, int tsih, IscsiTargetService.Target target,
                 NegotiatedParameters parameters, int initialCmdSn, int queueDepth, int portalGroupTag) {
        this.service = service;
        this.initiatorName = initiatorName;
        this.isid = isid;
        this.tsih = tsih;
        this.target = target;
        this.parameters = parameters;
        this.expCmdSn = initialCmdSn;
        this.queueDepth = queueDepth;
        this.nexus = target == null ? null
                : new ItNexus(initiatorName, isid, target.name(), portalGroupTag, portalGroupTag);
    }

    String initiatorName() {
        return initiatorName;
    }

    long isid() {
        return isid;
    }

    int tsih() {
        return tsih;
    }

    /** Null for a discovery session. */
    IscsiTargetService.Target target() {
        return target;
    }

    boolean isDiscovery() {
        return target == null;
    }

    NegotiatedParameters parameters() {
        return parameters;
    }

    ItNexus nexus() {
        return nexus;
    }

    Map<Integer, IscsiConnection> connections() {
        return connections;
    }

    synchronized int expCmdSn() {
        return expCmdSn;
    }

    /** MaxCmdSN: the window closes as tasks pile up (MaxCmdSN = ExpCmdSN - 1 when full). */
    synchronized int maxCmdSn() {
        return expCmdSn + Math.max(0, queueDepth - tasksInFlight) - 1;
    }

    /**
     * Accepts a command with its CmdSN. An immediate command runs at once without taking a number; a numbered one
     * runs when its turn comes, together with every waiting command it unblocks (returned in order); one outside
     * the window is dropped silently as RFC 7143, 4.2.2.1 says (null).
     */
    synchronized List<Pending> accept(int cmdSn, boolean immediate, Pending command) {
        if (closed) {
            return List.of();
        }
        if (immediate) {
            return List.of(command);
        }
        int max = expCmdSn + Math.max(0, queueDepth - tasksInFlight) - 1;
        if (cmdSn - expCmdSn < 0 || cmdSn - max > 0) {
            return null;
        }
        if (cmdSn != expCmdSn) {
            waiting.putIfAbsent(cmdSn, command);
            return List.of();
        }
        List<Pending> ready = new ArrayList<>();
        ready.add(command);
        expCmdSn++;
        for (Pending next = waiting.remove(expCmdSn); next != null; next = waiting.remove(expCmdSn)) {
            ready.add(next);
            expCmdSn++;
        }
        return ready;
    }

    synchronized void taskStarted() {
        tasksInFlight++;
    }

    synchronized void taskEnded() {
        tasksInFlight--;
    }

    /** Commands of a connection that goes away no longer wait for their turn. */
    synchronized void forget(IscsiConnection connection) {
        waiting.values().removeIf(p -> p.connection() == connection);
    }

    void attach(int cid, IscsiConnection connection) {
        connections.put(cid, connection);
    }

    /** A connection ended; the last one ends the session. */
    void detach(int cid, IscsiConnection connection) {
        forget(connection);
        if (connections.remove(cid, connection) && connections.isEmpty()) {
            end();
        }
    }

    /** Ends the session: its connections close, the SCSI layer forgets the nexus. */
    void end() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            waiting.clear();
        }
        service.sessionEnded(this);
        for (IscsiConnection c : List.copyOf(connections.values())) {
            c.close("session ended");
        }
    }

    synchronized boolean isClosed() {
        return closed;
    }
}
