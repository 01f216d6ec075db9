package org.copyoffload.server.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * LBA range locks of one logical unit, so that COMPARE AND WRITE is one uninterrupted series of actions with respect
 * to every other command that accesses the same LBAs (SBC-4 5.3): it holds its range exclusively while reads and
 * writes hold theirs shared. Shared holders never wait for each other. Waiting blocks the calling thread, so only
 * the I/O executor's (virtual) threads call {@link #acquire}; an event loop may only {@link #tryAcquire}.
 */
final class RangeLock {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private final List<Held> held = new ArrayList<>();

    /** A held range; close it to release. */
    final class Held implements AutoCloseable {
        private final long start;
        private final long end;
        private final boolean exclusive;

        private Held(long start, long end, boolean exclusive) {
            this.start = start;
            this.end = end;
            this.exclusive = exclusive;
        }

        private boolean conflicts(long otherStart, long otherEnd, boolean otherExclusive) {
            return (exclusive || otherExclusive) && start < otherEnd && otherStart < end;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                held.remove(this);
                released.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits until {@code [start, start + blocks)} can be held, then holds it. An empty range holds nothing. */
    Held acquire(long start, long blocks, boolean exclusive) {
        lock.lock();
        try {
            while (blocks > 0 && conflict(start, start + blocks, exclusive)) {
                released.awaitUninterruptibly();
            }
            return hold(start, blocks, exclusive);
        } finally {
            lock.unlock();
        }
    }

    /** Holds {@code [start, start + blocks)} if that needs no waiting, else null: for callers that must not block. */
    Held tryAcquire(long start, long blocks, boolean exclusive) {
        lock.lock();
        try {
            return blocks > 0 && conflict(start, start + blocks, exclusive) ? null : hold(start, blocks, exclusive);
        } finally {
            lock.unlock();
        }
    }

    /** With {@link #lock} held and no conflict. */
    private Held hold(long start, long blocks, boolean exclusive) {
        Held h = new Held(start, start + blocks, exclusive);
        if (blocks > 0) {
            held.add(h);
        }
        return h;
    }

    private boolean conflict(long start, long end, boolean exclusive) {
        for (Held h : held) {
            if (h.conflicts(start, end, exclusive)) {
                return true;
            }
        }
        return false;
    }

    /** Ranges held now (for tests). */
    int heldCount() {
        lock.lock();
        try {
            return held.size();
        } finally {
            lock.unlock();
        }
    }
}
