package org.copyoffload.server.log;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * WARN lines about one kind of misbehaving peer (a terminated connection, a rejected PDU, a login that never came),
 * at most {@code perInterval} of them per interval; beyond that they are counted, and one summary line says how many
 * were left out. A flood of garbage connections otherwise writes a line per connection and can fill a disk; the
 * metrics still count every one. Thread-safe: connections on every event loop share one instance per kind.
 */
public final class RateLimitedWarnings {
    /** Default allowance: enough to see what is going on, little enough to keep a flood's log small. */
    public static final int DEFAULT_PER_INTERVAL = 20;
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    /** One daemon thread for every instance: it writes the summary of a window after which nothing came. */
    private static final ScheduledExecutorService SUMMARIES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "copyoffload-log-summaries");
        t.setDaemon(true);
        return t;
    });

    private final Logger log;
    private final String kind;
    private final int perInterval;
    private final long intervalNanos;
    private final LongSupplier clock;
    private long windowStart;
    private int logged;
    private long suppressed;

    /** @param kind what is counted, plural, for the summary: e.g. "terminated NVMe/TCP connections" */
    public static RateLimitedWarnings of(Logger log, String kind) {
        RateLimitedWarnings w = new RateLimitedWarnings(log, kind, DEFAULT_PER_INTERVAL, DEFAULT_INTERVAL, System::nanoTime);
        long period = DEFAULT_INTERVAL.toNanos();
        SUMMARIES.scheduleWithFixedDelay(w::flush, period, period, TimeUnit.NANOSECONDS);
        return w;
    }

    /** An instance whose summaries are written only by {@link #warn} and {@link #flush} (tests drive the clock). */
    public RateLimitedWarnings(Logger log, String kind, int perInterval, Duration interval, LongSupplier clock) {
        if (perInterval < 1 || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("need at least one line per positive interval, got " + perInterval
                    + " per " + interval);
        }
        this.log = log;
        this.kind = kind;
        this.perInterval = perInterval;
        this.intervalNanos = interval.toNanos();
        this.clock = clock;
        this.windowStart = clock.getAsLong();
    }

    /** Logs the line (SLF4J format) if this interval's allowance is not used up; otherwise counts it. */
    public void warn(String format, Object... args) {
        boolean emit;
        long summary;
        synchronized (this) {
            summary = roll();
            emit = logged < perInterval;
            if (emit) {
                logged++;
            } else {
                suppressed++;
            }
        }
        summarize(summary);
        if (emit) {
            log.warn(format, args);
        }
    }

    /** Writes the summary of an interval that has ended with lines left out (called on a timer, too). */
    public void flush() {
        long summary;
        synchronized (this) {
            summary = roll();
        }
        summarize(summary);
    }

    /** Starts a new window if the current one is over; returns what the ended one left out. */
    private long roll() {
        long now = clock.getAsLong();
        if (now - windowStart < intervalNanos) {
            return 0;
        }
        long left = suppressed;
        windowStart = now;
        logged = 0;
        suppressed = 0;
        return left;
    }

    private void summarize(long count) {
        if (count > 0) {
            log.warn("{} more {} not logged one by one in the last {} s (at most {} lines per interval; the metrics "
                    + "count every one)", count, kind, Math.max(1, intervalNanos / 1_000_000_000L), perInterval);
        }
    }
}
