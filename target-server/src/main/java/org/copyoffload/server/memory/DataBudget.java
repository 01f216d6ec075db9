package org.copyoffload.server.memory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A bound on bytes buffered for commands in flight, shared by the connections of a target (solicited write data:
 * NVMe/TCP and iSCSI R2T; NVMe/TCP in-capsule data, which arrives unasked and is counted by {@link #take}). A
 * connection that finds the budget spent registers a callback and asks again when some of it is released, so nothing
 * waits on a lock and no thread blocks.
 */
public final class DataBudget {
    private final long limit;
    private long used;                                       // guarded by this
    private final Set<Runnable> waiters = new LinkedHashSet<>(); // guarded by this

    public DataBudget(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("budget must be positive, was " + limit);
        }
        this.limit = limit;
    }

    public long limit() {
        return limit;
    }

    public synchronized long used() {
        return used;
    }

    /**
     * Takes {@code bytes} if they fit (or nothing is in use); otherwise registers {@code onRelease} (once, however often it is passed)
     * to run after the next release, so the caller can ask again, and returns false.
     */
    public synchronized boolean acquireOrWait(long bytes, Runnable onRelease) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative acquire " + bytes);
        }
        // With nothing in use, any one request fits: a request larger than the whole budget must not wait forever.
        if (used + bytes <= limit || used == 0) {
            used += bytes;
            return true;
        }
        waiters.add(onRelease);
        return false;
    }

    /**
     * Takes {@code bytes} that have already arrived and cannot be refused (NVMe/TCP in-capsule data), even beyond the
     * limit; the caller asks {@link #overLimit} whether to stop reading more.
     */
    public synchronized void take(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative take " + bytes);
        }
        used += bytes;
    }

    /** Whether more is in use than the limit: by {@link #take}, or by one acquire larger than the whole budget. */
    public synchronized boolean overLimit() {
        return used > limit;
    }

    /** Gives {@code bytes} back and runs every registered callback (outside the lock). */
    public void release(long bytes) {
        List<Runnable> wake;
        synchronized (this) {
            if (bytes < 0 || bytes > used) {
                throw new IllegalStateException("release of " + bytes + " bytes with " + used + " in use");
            }
            used -= bytes;
            if (waiters.isEmpty()) {
                return;
            }
            wake = new ArrayList<>(waiters);
            waiters.clear();
        }
        for (Runnable r : wake) {
            r.run();
        }
    }

    /** Forgets a callback, for a connection that closes while it waits. */
    public synchronized void cancelWait(Runnable onRelease) {
        waiters.remove(onRelease);
    }
}
