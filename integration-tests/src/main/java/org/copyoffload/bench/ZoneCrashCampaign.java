package org.copyoffload.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeStatusException;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.zns.ZoneDescriptor;
import org.copyoffload.protocol.nvme.zns.ZoneManagementSend;
import org.copyoffload.protocol.nvme.zns.ZoneReport;
import org.copyoffload.protocol.nvme.zns.ZoneSendAction;

/**
 * The crash test of zoned namespaces: the target runs as a separate process ({@code copyoffload serve} with a
 * zoned volume); the Java host writes at write pointers and appends, every command with FUA, on several zones
 * at once, and resets full zones; the target is killed with SIGKILL at a random moment, sometimes while it
 * starts up; it is started again and every zone is checked against what the host knows:
 *
 * <ul>
 *   <li>every acknowledged Write and Zone Append is below the write pointer, at its LBA, with its data;</li>
 *   <li>every block below the write pointer is a whole block of a write or append the host issued to that zone
 *       since its last reset (each block carries its zone, reset generation, write number and a CRC32C), and no
 *       block appears twice;</li>
 *   <li>the write pointer is not beyond what was issued, and blocks just above it read as zeros (data of a write
 *       whose zone metadata was lost never reappears);</li>
 *   <li>no zone is open after a restart; an empty zone has its write pointer at its start; an acknowledged
 *       Reset holds, an unacknowledged one either happened entirely or not at all.</li>
 * </ul>
 * The first violation ends the campaign with a message naming the zone, the LBA and the round.
 */
public final class ZoneCrashCampaign {
    static final String NQN = "nqn.2026-01.org.copyoffload:crash";
    static final int BLOCK = 4096;
    static final int ZONES = 16;
    /** Zone size 1 MiB (256 blocks), capacity 768 KiB (192 blocks). */
    static final long ZONE_BLOCKS = 256;
    static final long CAPACITY = 192;
    static final int MAX_OPEN = 6;
    static final int MAX_ACTIVE = 8;
    private static final byte[] MAGIC = "ZCRASH01".getBytes(StandardCharsets.US_ASCII);

    /** What a campaign did: kills (incl. during start-up), acknowledged writes and appends found intact, blocks read. */
    public record Result(int kills, int startupKills, long writesChecked, long appendsChecked, long resetsAcknowledged,
                         long unacknowledgedResetsApplied, long blocksChecked, double seconds) {
    }

    private final Path dir;
    private final int kills;
    private final Random random;
    private final PrintStream progress;
    private final ZoneExpectation[] zones = new ZoneExpectation[ZONES];
    private final AtomicLong writeIds = new AtomicLong();
    private long writesChecked;
    private long appendsChecked;
    private long resetsAcknowledged;
    private long unacknowledgedResetsApplied;
    private long blocksChecked;

    public ZoneCrashCampaign(Path dir, int kills, long seed, PrintStream progress) {
        this.dir = dir;
        this.kills = kills;
        this.random = new Random(seed);
        this.progress = progress;
        for (int z = 0; z < ZONES; z++) {
            zones[z] = new ZoneExpectation(z);
        }
    }

    public Result run() throws Exception {
        long start = System.nanoTime();
        int startupKills = 0;
        for (int round = 0; round <= kills; round++) {
            if (round > 0 && random.nextInt(6) == 0) {
                // Killed while it starts: restoring zones (deallocating above write pointers) must be repeatable.
                Process early = startServer(round, freePort());
                Thread.sleep(random.nextInt(1200)); // JVM start, then zone restoration, then listening (~0.6 s idle)
                kill(early);
                startupKills++;
            }
            int port = freePort();
            Process server = startServer(round, port);
            try (NvmeTcpHost host = connect(server, port, round)) {
                if (round > 0) {
                    verify(host, round);
                }
                if (round == kills) {
                    break;
                }
                resetFullZones(host);
                Workload w = new Workload(host, random.nextLong());
                w.start();
                Thread.sleep(50 + random.nextInt(600));
                check(server.isAlive(), round, -1, "the server died on its own:\n" + serverLog(round));
                if (random.nextBoolean()) {
                    w.resetAFullZone(); // so that some kills land while a reset is in flight
                    Thread.sleep(random.nextInt(3));
                }
                kill(server);
                w.stopAndCollect(round);
            } finally {
                kill(server);
            }
            if (progress != null && (round + 1) % 10 == 0) {
                progress.printf("  crash test: %d kills, %d writes and %d appends checked%n", round + 1, writesChecked,
                        appendsChecked);
            }
        }
        return new Result(kills, startupKills, writesChecked, appendsChecked, resetsAcknowledged,
                unacknowledgedResetsApplied, blocksChecked,
                (System.nanoTime() - start) / 1e9);
    }

    // ---------------------------------------------------------------- the server process

    private Process startServer(int round, int port) throws IOException {
        Path config = dir.resolve("crash.yaml");
        Files.writeString(config, """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: %d}]
                metrics: {enabled: false}
                volumes:
                  - {name: z, size: %dMiB, block-size: %d, zoned: {zone-size: 1MiB, zone-capacity: 768KiB, max-active: %d, max-open: %d}}
                subsystems:
                  - nqn: %s
                    namespaces: [{nsid: 1, volume: z}]
                """.formatted(dir, port, ZONES, BLOCK, MAX_ACTIVE, MAX_OPEN, NQN));
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "org.copyoffload.server.cli.CopyoffloadCli", "serve", "--config", config.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("server-" + round + ".log").toFile()).start();
    }

    /** SIGKILL (Process.destroyForcibly on Linux), then wait for the process to be gone. */
    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("server process " + p.pid() + " did not die within 30 s of SIGKILL");
        }
    }

    private NvmeTcpHost connect(Process server, int port, int round) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        HostOptions options = HostOptions.builder(new InetSocketAddress("127.0.0.1", port), NQN).ioQueues(2)
                .connectTimeout(Duration.ofSeconds(5)).commandTimeout(Duration.ofSeconds(30)).build();
        while (true) {
            if (!server.isAlive()) {
                throw new IllegalStateException("round " + round + ": the server exited with status "
                        + server.exitValue() + " before accepting connections:\n" + serverLog(round));
            }
            try {
                return NvmeTcpHost.connect(options);
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("round " + round + ": no connection within 60 s:\n" + serverLog(round), e);
                }
                Thread.sleep(50);
            }
        }
    }

    private String serverLog(int round) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("server-" + round + ".log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no server log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    // ---------------------------------------------------------------- what the host expects

    /** One block's identity: which write (or append) of which zone generation, and its index in it. */
    record BlockId(int zone, int generation, long writeId, int index) {
    }

    /** An acknowledged write or append: where the target put it. */
    record Acked(int zone, int generation, long writeId, long lba, int blocks, boolean append) {
    }

    /** What the host knows of one zone between two kills. */
    static final class ZoneExpectation {
        final int index;
        int generation;
        /** Blocks known to be at these LBAs (verified after a restart, or acknowledged since). */
        final Map<Long, BlockId> known = new HashMap<>();
        /** The write pointer the host saw at the last verification, and the blocks issued since. */
        long writePointer;
        long issuedEnd;
        boolean resetInFlight;

        ZoneExpectation(int index) {
            this.index = index;
            this.writePointer = start();
            this.issuedEnd = start();
        }

        long start() {
            return index * ZONE_BLOCKS;
        }

        /** The zone was reset: a new generation of blocks, none known, the write pointer at the start. */
        void reset() {
            generation++;
            known.clear();
            writePointer = start();
            issuedEnd = start();
            resetInFlight = false;
        }

        long capacityEnd() {
            return start() + CAPACITY;
        }
    }

    private void resetFullZones(NvmeTcpHost host) {
        for (ZoneExpectation z : zones) {
            if (z.writePointer >= z.capacityEnd() && random.nextInt(3) != 0) {
                host.zoneSend(0, ZoneManagementSend.of(1, z.start(), ZoneSendAction.RESET, false)).join();
                resetsAcknowledged++;
                z.reset();
            }
        }
    }

    // ---------------------------------------------------------------- verification after a restart

    private void verify(NvmeTcpHost host, int round) {
        ZoneReport report = host.reportZones(0, 1, 0, ZoneReport.HEADER + ZONES * ZoneDescriptor.SIZE, 0, false).join();
        check(report.zones().size() == ZONES, round, -1, "report lists " + report.zones().size() + " zones");
        for (ZoneExpectation z : zones) {
            ZoneDescriptor d = report.zones().get(z.index);
            check(d.startLba() == z.start() && d.capacity() == CAPACITY, round, z.index, "descriptor " + d);
            int state = d.state();
            long wp = d.writePointer();
            check(state == ZoneDescriptor.STATE_EMPTY || state == ZoneDescriptor.STATE_CLOSED
                    || state == ZoneDescriptor.STATE_FULL, round, z.index, "state " + ZoneDescriptor.stateName(state)
                    + " after a restart (open zones must come back closed)");
            check((state == ZoneDescriptor.STATE_EMPTY) == (wp == z.start()) || state == ZoneDescriptor.STATE_FULL,
                    round, z.index, "state " + ZoneDescriptor.stateName(state) + " with write pointer " + wp);
            long end = state == ZoneDescriptor.STATE_FULL ? z.capacityEnd() : wp;
            if (z.resetInFlight && state == ZoneDescriptor.STATE_EMPTY) {
                z.reset();                          // the unacknowledged reset happened
                unacknowledgedResetsApplied++;
            }
            z.resetInFlight = false;
            for (Map.Entry<Long, BlockId> e : z.known.entrySet()) {
                check(e.getKey() < end, round, z.index, "acknowledged block " + e.getValue() + " at LBA " + e.getKey()
                        + " is not below the write pointer " + end + " (" + ZoneDescriptor.stateName(state) + ")");
            }
            check(end <= Math.max(z.issuedEnd, z.writePointer) || state == ZoneDescriptor.STATE_FULL && z.issuedEnd
                    >= z.capacityEnd(), round, z.index, "write pointer " + end + " beyond the blocks issued (up to "
                    + z.issuedEnd + ")");
            readAndCheck(host, z, end, round);
            z.writePointer = end;
            z.issuedEnd = end;
        }
    }

    private void readAndCheck(NvmeTcpHost host, ZoneExpectation z, long end, int round) {
        Map<BlockId, Long> seen = new HashMap<>();
        Map<Long, BlockId> found = new HashMap<>();
        for (long lba = z.start(); lba < end; lba += 32) {
            int n = (int) Math.min(32, end - lba);
            ByteBuf data = host.read(0, 1, lba, n, BLOCK).join();
            try {
                for (int i = 0; i < n; i++) {
                    long at = lba + i;
                    BlockId id = decode(data, i * BLOCK);
                    check(id != null, round, z.index, "LBA " + at + " below the write pointer " + end
                            + " holds no whole block the host wrote" + (isZero(data, i * BLOCK) ? " (zeros)" : ""));
                    check(id.zone() == z.index && id.generation() == z.generation, round, z.index, "LBA " + at
                            + " holds " + id + ", expected zone " + z.index + " generation " + z.generation);
                    Long before = seen.put(id, at);
                    check(before == null, round, z.index, id + " found at LBA " + before + " and " + at);
                    BlockId expected = z.known.get(at);
                    check(expected == null || expected.equals(id), round, z.index, "acknowledged " + expected
                            + " at LBA " + at + " replaced by " + id);
                    found.put(at, id);
                    blocksChecked++;
                }
            } finally {
                data.release();
            }
        }
        // Above the write pointer: zeros, up to what was issued (never data whose metadata was lost).
        long zeroEnd = Math.min(z.capacityEnd(), Math.max(end + 8, z.issuedEnd));
        if (end < zeroEnd) {
            int n = (int) (zeroEnd - end);
            ByteBuf data = host.read(0, 1, end, n, BLOCK).join();
            try {
                for (int i = 0; i < n; i++) {
                    check(isZero(data, i * BLOCK), round, z.index, "LBA " + (end + i) + " above the write pointer "
                            + end + " is not zero: " + decode(data, i * BLOCK));
                }
            } finally {
                data.release();
            }
        }
        z.known.clear();
        z.known.putAll(found);
    }

    private static void check(boolean ok, int round, int zone, String what) {
        if (!ok) {
            throw new IllegalStateException("crash test, after kill " + round + ", zone " + zone + ": " + what);
        }
    }

    // ---------------------------------------------------------------- block contents

    private static ByteBuf blocks(int zone, int generation, long writeId, int count) {
        ByteBuf b = Unpooled.directBuffer(count * BLOCK);
        byte[] block = new byte[BLOCK];
        for (int i = 0; i < count; i++) {
            SplittableRandom fill = new SplittableRandom(writeId * 31 + i);
            for (int j = 32; j < BLOCK - 4; j += 8) {
                long v = fill.nextLong();
                for (int k = 0; k < 8 && j + k < BLOCK - 4; k++) {
                    block[j + k] = (byte) (v >>> (8 * k));
                }
            }
            ByteBuf h = Unpooled.wrappedBuffer(block);
            h.setBytes(0, MAGIC);
            h.setInt(8, zone);
            h.setInt(12, generation);
            h.setLong(16, writeId);
            h.setInt(24, i);
            h.setInt(28, count);
            CRC32C crc = new CRC32C();
            crc.update(block, 0, BLOCK - 4);
            h.setInt(BLOCK - 4, (int) crc.getValue());
            b.writeBytes(block);
        }
        return b;
    }

    /** The block's identity, or null when it is not a whole block of this test (zeros, torn, foreign). */
    private static BlockId decode(ByteBuf data, int offset) {
        int at = data.readerIndex() + offset;
        for (int i = 0; i < MAGIC.length; i++) {
            if (data.getByte(at + i) != MAGIC[i]) {
                return null;
            }
        }
        byte[] block = new byte[BLOCK];
        data.getBytes(at, block);
        CRC32C crc = new CRC32C();
        crc.update(block, 0, BLOCK - 4);
        if ((int) crc.getValue() != data.getInt(at + BLOCK - 4)) {
            return null;
        }
        return new BlockId(data.getInt(at + 8), data.getInt(at + 12), data.getLong(at + 16), data.getInt(at + 24));
    }

    private static boolean isZero(ByteBuf data, int offset) {
        int at = data.readerIndex() + offset;
        for (int i = 0; i < BLOCK; i += 8) {
            if (data.getLong(at + i) != 0) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- the workload

    /**
     * Streams of FUA writes (one in flight per zone, at the host's write pointer) and FUA appends (up to four in
     * flight per zone) on up to {@link #MAX_OPEN} zones, and resets of full zones, until the connection dies.
     */
    private final class Workload {
        private final NvmeTcpHost host;
        private final Random rnd;
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final ConcurrentLinkedQueue<Acked> acked = new ConcurrentLinkedQueue<>();
        private final List<Thread> threads = new ArrayList<>();
        private final ConcurrentLinkedQueue<CompletableFuture<?>> pending = new ConcurrentLinkedQueue<>();
        private final AtomicReference<Throwable> failure =
                new AtomicReference<>();

        Workload(NvmeTcpHost host, long seed) {
            this.host = host;
            this.rnd = new Random(seed);
        }

        void start() {
            List<ZoneExpectation> candidates = new ArrayList<>();
            for (ZoneExpectation z : zones) {
                if (z.writePointer < z.capacityEnd()) {
                    candidates.add(z);
                }
            }
            Collections.shuffle(candidates, rnd);
            // Closed zones are active already; a few more may become so: stay within MAX_ACTIVE and MAX_OPEN.
            int active = 0;
            for (ZoneExpectation z : zones) {
                if (z.writePointer > z.start() && z.writePointer < z.capacityEnd()) {
                    active++;
                }
            }
            int streams = 0;
            for (ZoneExpectation z : candidates) {
                if (streams == MAX_OPEN - 1) {
                    break;
                }
                boolean activates = z.writePointer == z.start();
                if (activates && active >= MAX_ACTIVE - 1) {
                    continue;
                }
                active += activates ? 1 : 0;
                boolean append = rnd.nextBoolean();
                long seed = rnd.nextLong();
                int queue = streams % 2;
                Thread t = Thread.ofPlatform().name("crash-" + z.index).daemon().start(() -> {
                    if (append) {
                        appends(z, queue, new Random(seed));
                    } else {
                        writes(z, queue, new Random(seed));
                    }
                });
                threads.add(t);
                streams++;
            }
            if (rnd.nextInt(4) == 0) {
                resetAFullZone();
            }
        }

        /** Resets one full zone (no stream writes to full zones); the kill may cut it. */
        void resetAFullZone() {
            for (ZoneExpectation z : zones) {
                if (z.writePointer >= z.capacityEnd() && !z.resetInFlight) {
                    z.resetInFlight = true;
                    track(host.zoneSend(1, ZoneManagementSend.of(1, z.start(), ZoneSendAction.RESET, false)))
                            .thenRun(() -> acked.add(new Acked(z.index, -1, -1, z.start(), 0, false)));
                    return;
                }
            }
        }

        /**
         * Keeps every command's future, and takes note of an error status: the target answers none to this
         * workload while it lives (writes at the write pointer, within the zone capacity and the open and active
         * limits), so one is a failure; a kill fails the commands in flight with a transport error instead.
         */
        private <T> CompletableFuture<T> track(CompletableFuture<T> f) {
            pending.add(f);
            return f.whenComplete((v, error) -> {
                Throwable cause = error;
                while (cause instanceof CompletionException && cause.getCause() != null) {
                    cause = cause.getCause();
                }
                if (cause instanceof NvmeStatusException) {
                    failure.compareAndSet(null, cause);
                }
            });
        }

        private void writes(ZoneExpectation z, int queue, Random r) {
            long wp = z.writePointer;
            while (!stopped.get() && wp < z.capacityEnd()) {
                int n = (int) Math.min(1 + r.nextInt(16), z.capacityEnd() - wp);
                long id = writeIds.incrementAndGet();
                synchronized (z) {
                    z.issuedEnd = Math.max(z.issuedEnd, wp + n);
                }
                try {
                    track(host.write(queue, 1, wp, blocks(z.index, z.generation, id, n), BLOCK, true)).join();
                } catch (RuntimeException e) {
                    return; // the target was killed (or answered an error: see track)
                }
                acked.add(new Acked(z.index, z.generation, id, wp, n, false));
                wp += n;
            }
        }

        private void appends(ZoneExpectation z, int queue, Random r) {
            Semaphore inFlight = new Semaphore(4);
            long reserved = z.writePointer;
            while (!stopped.get() && reserved < z.capacityEnd()) {
                int n = (int) Math.min(1 + r.nextInt(8), z.capacityEnd() - reserved);
                try {
                    if (!inFlight.tryAcquire(5, TimeUnit.SECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                }
                long id = writeIds.incrementAndGet();
                reserved += n;
                synchronized (z) {
                    z.issuedEnd = Math.max(z.issuedEnd, reserved);
                }
                track(host.zoneAppend(queue, 1, z.start(), blocks(z.index, z.generation, id, n), BLOCK, true))
                        .whenComplete((lba, error) -> {
                            if (error == null) {
                                acked.add(new Acked(z.index, z.generation, id, lba, n, true));
                            } else {
                                stopped.set(true);
                            }
                            inFlight.release();
                        });
            }
        }

        /**
         * After the kill: waits for the streams and for every command's outcome, then adds every acknowledged
         * block to what the host knows.
         */
        void stopAndCollect(int round) throws Exception {
            stopped.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                if (t.isAlive()) {
                    throw new IllegalStateException("a workload thread did not end after the kill");
                }
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).handle((v, e) -> null)
                    .get(60, TimeUnit.SECONDS);
            Thread.sleep(20); // the dependent callbacks (acked.add) run right after each future completes
            check(failure.get() == null, round, -1, "the target answered an error while it ran: " + failure.get());
            for (Acked a : acked) {
                ZoneExpectation z = zones[a.zone()];
                if (a.blocks() == 0) {
                    // An acknowledged reset: the zone is empty and its old blocks are gone.
                    resetsAcknowledged++;
                    z.reset();
                    continue;
                }
                check(a.lba() >= z.start() && a.lba() + a.blocks() <= z.capacityEnd(), round, a.zone(),
                        (a.append() ? "Zone Append" : "Write") + " acknowledged at LBA " + a.lba() + "+" + a.blocks()
                                + ", outside the zone's writable LBAs");
                for (int i = 0; i < a.blocks(); i++) {
                    z.known.put(a.lba() + i, new BlockId(a.zone(), a.generation(), a.writeId(), i));
                }
                if (a.append()) {
                    appendsChecked++;
                } else {
                    writesChecked++;
                }
            }
        }
    }
}
