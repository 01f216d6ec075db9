package org.copyoffload.server.net;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds the open connections of one transport's listeners: at most {@code total} together and {@code perHost} from
 * one IP address, so that one host (or a flood) cannot take every descriptor and all the memory the connections hold.
 * A connection over either bound is closed as soon as it is accepted, before anything is read from it.
 */
public final class ConnectionGate {
    private final int total;
    private final int perHost;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> byHost = new ConcurrentHashMap<>();
    private final LongAdder refused = new LongAdder();

    public ConnectionGate(int total, int perHost) {
        if (total < 1 || perHost < 1 || perHost > total) {
            throw new IllegalArgumentException("connection limits " + total + " in all, " + perHost + " per host");
        }
        this.total = total;
        this.perHost = perHost;
    }

    /** Why a connection was refused, or null if it was admitted (then {@link #release} must follow its close). */
    public String admit(InetAddress host) {
        if (open.incrementAndGet() > total) {
            open.decrementAndGet();
            refused.increment();
            return total + " connections are open, the limit (limits.connections)";
        }
        boolean[] over = new boolean[1];
        byHost.compute(host, (h, n) -> {
            int next = n == null ? 1 : n + 1;
            over[0] = next > perHost;
            return over[0] ? n : next;
        });
        if (over[0]) {
            open.decrementAndGet();
            refused.increment();
            return perHost + " connections from " + host.getHostAddress() + " are open, the limit "
                    + "(limits.connections-per-host)";
        }
        return null;
    }

    public void release(InetAddress host) {
        byHost.computeIfPresent(host, (h, n) -> n <= 1 ? null : n - 1);
        open.decrementAndGet();
    }

    public int open() {
        return open.get();
    }

    /** Connections refused so far (a counter for the metrics). */
    public double refused() {
        return refused.sum();
    }
}
