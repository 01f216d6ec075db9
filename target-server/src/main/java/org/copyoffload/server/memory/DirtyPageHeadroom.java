package org.copyoffload.server.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many bytes a buffered write may put into the page cache on the caller's own thread (a connection's event loop)
 * without the kernel making it wait. A buffered {@code pwrite} copies into the page cache and returns; it sleeps
 * only in {@code balance_dirty_pages} once dirty memory passes the "freerun" ceiling, halfway between the background
 * and the foreground dirty thresholds (Linux mm/page-writeback.c). ext4 answers {@code RWF_NOWAIT} on buffered writes
 * with EOPNOTSUPP, so the target cannot just try without blocking, as it does for reads; instead this class samples
 * {@code /proc/meminfo} every {@value #INTERVAL_MILLIS} ms and hands out, per interval, a quarter of what is left
 * below the background threshold, itself a third below the freerun ceiling with Linux's default ratios (10 and
 * 20 %). While dirty memory is that far from any throttling, a write costs no thread hop (two wake-ups per command, a fifth of the CPU of 128 KiB writes); near it, or where nothing could be read,
 * writes go to the I/O executor as before, so an event loop never waits for write-back.
 */
public final class DirtyPageHeadroom {
    static final long INTERVAL_MILLIS = 100;
    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private static final Path VM = Path.of("/proc/sys/vm");
    private static final Path CGROUP_MEMORY_MAX = Path.of("/sys/fs/cgroup/memory.max");

    private static volatile DirtyPageHeadroom system;

    private final AtomicLong allowance = new AtomicLong();

    DirtyPageHeadroom() {
    }

    /** The process-wide instance (the page cache is the machine's), sampling from the first use on. */
    public static DirtyPageHeadroom system() {
        DirtyPageHeadroom h = system;
        if (h == null) {
            synchronized (DirtyPageHeadroom.class) {
                h = system;
                if (h == null) {
                    h = new DirtyPageHeadroom();
                    DirtyPageHeadroom sampled = h;
                    sampled.sample();
                    Thread.ofPlatform().daemon().name("dirty-page-headroom").start(() -> {
                        while (true) {
                            try {
                                Thread.sleep(INTERVAL_MILLIS);
                            } catch (InterruptedException e) {
                                return;
                            }
                            sampled.sample();
                        }
                    });
                    system = h;
                }
            }
        }
        return h;
    }

    /**
     * Takes {@code bytes} of this interval's allowance: true when the caller may write them on its own thread.
     * A platform thread only: a virtual thread is already off the event loop, and one that holds a lock while
     * writing would hold it for others.
     */
    public boolean takeInline(long bytes) {
        if (Thread.currentThread().isVirtual()) {
            return false;
        }
        if (allowance.get() < bytes) {
            return false;
        }
        return allowance.addAndGet(-bytes) >= 0;
    }

    /**
     * The executor for a buffered write of {@code bytes}: the calling thread when {@link #takeInline} allows it at
     * the moment the write starts, else {@code fallback}. Writes larger than {@code maxInline} and durable ones
     * (they wait for the device) always go to {@code fallback}.
     */
    public Executor executorFor(long bytes, boolean durable, long maxInline, Executor fallback) {
        if (durable || bytes > maxInline) {
            return fallback;
        }
        return task -> {
            if (takeInline(bytes)) {
                task.run();
            } else {
                fallback.execute(task);
            }
        };
    }

    void allowanceForTest(long bytes) {
        allowance.set(bytes);
    }

    /** Reads the kernel's figures and sets this interval's allowance (zero when they cannot be read). */
    void sample() {
        try {
            String meminfo = Files.readString(MEMINFO);
            long backgroundBytes = readLong(VM.resolve("dirty_background_bytes")).orElse(0);
            long backgroundRatio = readLong(VM.resolve("dirty_background_ratio")).orElse(10);
            OptionalLong cgroupMax = readLong(CGROUP_MEMORY_MAX);
            allowance.set(allowance(meminfo, backgroundBytes, backgroundRatio, cgroupMax));
        } catch (IOException | RuntimeException e) {
            allowance.set(0);
        }
    }

    /**
     * A quarter of what lies between dirty memory (Dirty + Writeback) and the background threshold: the bytes
     * the next interval may write inline. The threshold is {@code dirty_background_bytes} when set, else
     * {@code dirty_background_ratio} percent of MemAvailable (close to the kernel's "dirtyable" memory), and at most
     * the ratio of a cgroup's memory limit, where write-back is throttled per cgroup.
     */
    static long allowance(String meminfo, long backgroundBytes, long backgroundRatio, OptionalLong cgroupMax) {
        long dirty = field(meminfo, "Dirty") + field(meminfo, "Writeback");
        long available = field(meminfo, "MemAvailable");
        if (cgroupMax.isPresent()) {
            available = Math.min(available, cgroupMax.getAsLong());
        }
        long background = backgroundBytes > 0 ? backgroundBytes : available / 100 * backgroundRatio;
        return Math.max(0, (background - dirty) / 4);
    }

    /** A "Name:   123 kB" line of /proc/meminfo, in bytes. */
    static long field(String meminfo, String name) {
        int at = meminfo.startsWith(name + ":") ? 0 : meminfo.indexOf("\n" + name + ":");
        if (at < 0) {
            throw new IllegalArgumentException("no " + name + " in /proc/meminfo");
        }
        int start = meminfo.indexOf(':', at) + 1;
        int end = meminfo.indexOf('\n', start);
        String[] parts = meminfo.substring(start, end < 0 ? meminfo.length() : end).trim().split("\\s+");
        long value = Long.parseLong(parts[0]);
        return parts.length > 1 && parts[1].equals("kB") ? value * 1024 : value;
    }

    /** A file holding one number ("max" and missing files: empty). */
    private static OptionalLong readLong(Path file) {
        try {
            String s = ProcFile.read(file).trim(); // not Files.readString: it reads "10" in /proc/sys as "1"
            return s.matches("\\d+") ? OptionalLong.of(Long.parseLong(s)) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }
}
