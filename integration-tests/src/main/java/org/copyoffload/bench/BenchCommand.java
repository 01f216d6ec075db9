package org.copyoffload.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongFunction;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.TrafficSnapshot;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.cli.LeakDetection;
import org.copyoffload.server.config.ConfigLoader;
import org.copyoffload.server.memory.ProcFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code copyoffload bench}: NVMe/TCP read throughput and IOPS of the target measured with the Java host over
 * loopback, beside the loopback TCP bandwidth of the same machine measured in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measures, in one run on loopback: TCP bandwidth over one stream and one per queue (the references); the target's",
                "128 KiB sequential write and read throughput with the Java host, and their ratios to the reference;",
                "4 KiB random read and write IOPS at queue depth 32; NVMe Copy against copy_file_range and a",
                "host-driven copy; Zone Append throughput and 4 KiB IOPS beside plain writes, and the zoned crash test;",
                "iSCSI reads beside Debian's tgt with libiscsi's iscsi-perf. The target runs in this process on",
                "temporary volumes (a separate process for the crash test). Only figures go to stdout: log lines go",
                "to a file named in the first line; --json FILE writes the figures under stable names."})
public final class BenchCommand implements Callable<Integer> {
    private static final String NQN = "nqn.2026-01.org.copyoffload:bench";

    @Option(names = "--seconds", defaultValue = "5", description = "Length of each measurement (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--region", defaultValue = "512", description = "MiB written first, then written and read over (default: ${DEFAULT-VALUE}).")
    int regionMiB;

    @Option(names = "--seq-depth", defaultValue = "16", description = "Queue depth of the sequential reads and writes (default: ${DEFAULT-VALUE}).")
    int seqDepth;

    @Option(names = "--random-depth", defaultValue = "32", description = "Queue depth of the 4 KiB random reads and writes (default: ${DEFAULT-VALUE}).")
    int randomDepth;

    @Option(names = "--io-queues", description = "I/O queues (TCP connections) of the host; like Linux, one per CPU "
            + "by default. The sequential read is also measured with one queue for comparison.")
    Integer ioQueues;

    @Option(names = "--data-dir", description = "Where the volume files go (default: a temporary folder).")
    Path dataDir;

    @Option(names = "--copy-size", defaultValue = "1024", description = "MiB copied by the copy measurements (default: ${DEFAULT-VALUE}).")
    int copySizeMiB;

    // As fast as the host-driven copy honestly goes, since a slow baseline flatters the offload: transfers as large as
    // the controller allows (MDTS, 1 MiB by default) copied 0.47-0.52 of one loopback stream in three runs, 128 KiB
    // ones at QD 16 (as BlockCopier's fallback) 0.34-0.44; 8 pairs in flight beat 4 and 16.
    @Option(names = "--host-copy-chunk", defaultValue = "1024", description = "KiB per READ and per WRITE of the "
            + "host-driven copy, at most the controller's MDTS (default: ${DEFAULT-VALUE}).")
    int hostCopyChunkKiB;

    @Option(names = "--host-copy-depth", defaultValue = "8", description = "READ + WRITE pairs of the host-driven copy "
            + "in flight (default: ${DEFAULT-VALUE}).")
    int hostCopyDepth;

    @Option(names = "--only", description = "Run only one group of measurements: read, copy, zns, iscsi or flood (default:"
            + " all; iscsi when iscsi-perf and tgtd are installed).")
    String only;

    // 512 MiB: each zoned measurement writes at most that into memory it freed just before (a reset, a deallocation).
    // This VM hands memory freed beyond about 512 MiB back to its host (free page reporting), and the first write to
    // such a page waits for the host: at 1 GiB, rounds of the same measurement went 0.7 or 2.5 GB/s by luck. See the
    // README's Benchmarks section.
    @Option(names = "--zns-size", defaultValue = "512", description = "MiB of each namespace of the zoned measurements; "
            + "each measurement writes at most this much (default: ${DEFAULT-VALUE}).")
    int znsSizeMiB;

    @Option(names = "--crash-kills", defaultValue = "50", description = "SIGKILLs of the zoned crash test (default: ${DEFAULT-VALUE}; 0 skips it).")
    int crashKills;

    @Option(names = "--iscsi-size", defaultValue = "1024", description = "MiB of the LU the iSCSI measurements read (default: ${DEFAULT-VALUE}).")
    int iscsiSizeMiB;

    @Option(names = "--copy-rounds", defaultValue = "5", description = "Rounds of the copy measurements; medians are reported (default: ${DEFAULT-VALUE}).")
    int copyRounds;

    @Option(names = "--warm-up", defaultValue = "3", description = "Seconds of each kind of I/O before the NVMe data-path "
            + "figures are measured, so they do not include JIT compilation (default: ${DEFAULT-VALUE}).")
    int warmUpSeconds;

    @Option(names = "--flood-connections", defaultValue = "1000", description = "Garbage connections at a time in the "
            + "flood group (default: ${DEFAULT-VALUE}).")
    int floodConnections;

    @Option(names = "--flood-seconds", defaultValue = "60", description = "Length of the flood (default: ${DEFAULT-VALUE}).")
    int floodSeconds;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write every figure printed, under stable names, "
            + "as JSON to FILE.")
    Path json;

    private BenchReport report;

    @Override
    public Integer call() throws Exception {
        if (ioQueues == null) {
            ioQueues = Runtime.getRuntime().availableProcessors();
        }
        if (only != null && !java.util.Set.of("read", "copy", "zns", "iscsi", "flood").contains(only)) {
            System.err.println("bench: --only must be read, copy, zns, iscsi or flood, not " + only);
            return 2;
        }
        if (hostCopyChunkKiB < 4 || hostCopyDepth < 1) {
            System.err.println("bench: --host-copy-chunk must be at least 4 (KiB) and --host-copy-depth at least 1");
            return 2;
        }
        if (floodConnections < 1 || floodSeconds < 1) {
            System.err.println("bench: --flood-connections and --flood-seconds must be positive");
            return 2;
        }
        if (znsSizeMiB < 64 || znsSizeMiB % 64 != 0) {
            System.err.println("bench: --zns-size must be a multiple of the 64 MiB zone size, not " + znsSizeMiB);
            return 2;
        }
        report = new BenchReport(System.out);
        String log = System.getProperty(LOG_PROPERTY);
        String writeBackAtStart = writeBackSettings();
        report.heading(String.format(Locale.ROOT, "copyoffload bench: %d s per measurement, %d I/O queue(s), %d cores; %s%s",
                seconds, ioQueues, Runtime.getRuntime().availableProcessors(), writeBackAtStart,
                log == null ? "" : "; the target's and host's log: " + log));
        java.time.Instant started = java.time.Instant.now();
        LoopbackBandwidth.Reference loopback = null;
        if (only == null || only.equals("read") || only.equals("copy")) {
            LoopbackBandwidth.Measured oneStream = LoopbackBandwidth.measure(Duration.ofSeconds(seconds), 128 * 1024, 1);
            double one = oneStream.bytesPerSecond();
            report.figure("loopback.tcp_128k.mb_s", "loopback TCP, one stream, 128 KiB writes", one / 1e6, "MB/s",
                    cpuLabel(oneStream.cpuSecondsPerGb()));
            report.keep("loopback.tcp_128k.cpu_s_per_gb", "loopback, one stream: CPU seconds per GB",
                    oneStream.cpuSecondsPerGb(), "s/GB");
            double many = one;
            if (ioQueues > 1) {
                LoopbackBandwidth.Measured streams = LoopbackBandwidth.measure(Duration.ofSeconds(seconds), 128 * 1024, ioQueues);
                many = streams.bytesPerSecond();
                report.figure("loopback.tcp_128k_streams.mb_s", "loopback TCP, " + ioQueues + " streams, 128 KiB writes",
                        many / 1e6, "MB/s", "the reference of figures over " + ioQueues + " queues; "
                                + cpuLabel(streams.cpuSecondsPerGb()));
                report.keep("loopback.tcp_128k_streams.cpu_s_per_gb", "loopback, " + ioQueues
                        + " streams: CPU seconds per GB", streams.cpuSecondsPerGb(), "s/GB");
            }
            LoopbackBandwidth.Measured plain = LoopbackBandwidth.measure(Duration.ofSeconds(seconds), 128 * 1024, 1, false);
            report.figure("loopback.tcp_128k_plain.mb_s", "loopback TCP, one stream, no watermark",
                    plain.bytesPerSecond() / 1e6, "MB/s", String.format(Locale.ROOT,
                            "not a reference: the reader woken for every segment, as iperf3's is and as the reference "
                                    + "was until issue 17's seventh session; %.2f of the reference; %s",
                            plain.bytesPerSecond() / one, cpuLabel(plain.cpuSecondsPerGb())));
            loopback = new LoopbackBandwidth.Reference(one, many, ioQueues);
        }
        if (only == null || only.equals("read")) {
            double writeCeiling = measureWriteCeiling(loopback.forQueues(ioQueues));
            report.heading(String.format(Locale.ROOT, "nvme: %d MiB region, %d s warm-up of each kind first",
                    regionMiB, warmUpSeconds));
            readBenchmark(loopback, writeCeiling);
        }
        if (only == null || only.equals("copy")) {
            Path dir = Files.createTempDirectory(dataDir != null ? dataDir : Path.of(System.getProperty("java.io.tmpdir")),
                    "copyoffload-bench-copy");
            try {
                report.heading(String.format(Locale.ROOT, "copy: %d MiB, %d I/O queue(s), host-driven copy at QD %d",
                        copySizeMiB, ioQueues, hostCopyDepth));
                new CopyBenchmark(dir, (long) copySizeMiB << 20, ioQueues, hostCopyChunkKiB << 10, hostCopyDepth, copyRounds,
                        Duration.ofSeconds(warmUpSeconds), report, loopback).run();
            } finally {
                deleteContents(dir);
                Files.deleteIfExists(dir);
            }
        }
        if (only == null || only.equals("zns")) {
            znsBenchmark();
        }
        if ("iscsi".equals(only) || only == null && org.copyoffload.it.iscsi.IscsiPerf.installed()
                && org.copyoffload.it.iscsi.TgtTarget.installed()) {
            Path dir = Files.createTempDirectory(dataDir != null ? dataDir : Path.of(System.getProperty("java.io.tmpdir")),
                    "copyoffload-bench-iscsi");
            try {
                new IscsiBenchmark(dir, (long) iscsiSizeMiB << 20, Duration.ofSeconds(seconds), report).run();
            } finally {
                deleteTree(dir);
            }
        } else if (only == null) {
            report.heading("iscsi: not measured (needs iscsi-perf and tgtd: apt-get install libiscsi-bin tgt)");
        }
        if (only == null || only.equals("flood")) {
            Path dir = Files.createTempDirectory(dataDir != null ? dataDir : Path.of(System.getProperty("java.io.tmpdir")),
                    "copyoffload-bench-flood");
            try {
                report.heading(String.format(Locale.ROOT, "flood: %d garbage connections at a time for %d s against the "
                        + "target in its own process, a host reading 4 KiB at QD 1 beside", floodConnections, floodSeconds));
                new FloodBenchmark(dir, floodConnections, Duration.ofSeconds(floodSeconds), report).run();
            } finally {
                deleteTree(dir);
            }
        }
        String writeBackAtEnd = writeBackSettings();
        if (!writeBackAtEnd.equals(writeBackAtStart)) {
            report.heading("write-back settings changed during the run, to " + writeBackAtEnd
                    + ": figures that write are not comparable across the change");
        }
        if (json != null) {
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("writeBackAtStart", writeBackAtStart);
            run.put("writeBackAtEnd", writeBackAtEnd);
            run.put("started", started.toString());
            run.put("cores", Runtime.getRuntime().availableProcessors());
            run.put("ioQueues", ioQueues);
            run.put("seconds", seconds);
            run.put("only", only == null ? "all" : only);
            report.writeJson(json, run);
        }
        return 0;
    }

    private void znsBenchmark() throws Exception {
        Path dir = Files.createTempDirectory(dataDir != null ? dataDir : Path.of(System.getProperty("java.io.tmpdir")),
                "copyoffload-bench-zns");
        try {
            report.heading(String.format(Locale.ROOT, "zoned: %d MiB namespaces (64 MiB zones), %d s warm-up of each kind first",
                    znsSizeMiB, warmUpSeconds));
            new ZnsBenchmark(dir, (long) znsSizeMiB << 20, ioQueues, seqDepth, randomDepth, Duration.ofSeconds(seconds),
                    Duration.ofSeconds(warmUpSeconds), report).run();
            deleteContents(dir);
            if (crashKills > 0) {
                long seed = System.nanoTime();
                ZoneCrashCampaign.Result r = new ZoneCrashCampaign(dir, crashKills, seed, null).run();
                String label = "zoned crash test (SIGKILL, restart, check)";
                report.figure("zns.crash.kills_survived", label, r.kills() + r.startupKills(), "kills survived",
                        String.format(Locale.ROOT, "%d while starting, %d FUA writes and %d FUA appends acknowledged and"
                                        + " found intact, %d resets acknowledged, %d blocks checked, %.0f s, seed %d",
                                r.startupKills(), r.writesChecked(), r.appendsChecked(), r.resetsAcknowledged(),
                                r.blocksChecked(), r.seconds(), seed));
                report.keep("zns.crash.writes_checked", label, r.writesChecked(), "writes");
                report.keep("zns.crash.appends_checked", label, r.appendsChecked(), "appends");
                report.keep("zns.crash.blocks_checked", label, r.blocksChecked(), "blocks");
            }
        } finally {
            deleteContents(dir);
            Files.deleteIfExists(dir);
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void deleteContents(Path dir) throws java.io.IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    /**
     * The NVMe data path: the fill (first writes into unallocated blocks), then after a warm-up (the JIT compiles the
     * host's and the target's hot paths; on two cores that takes seconds) 128 KiB sequential writes and reads over the
     * region, with as many queues as Linux would connect and with one, and 4 KiB random reads and writes at QD
     * {@code randomDepth}. Dirty pages are written back (sync) between the write and the read measurements, so the
     * kernel's write-back of one does not land on the other. {@code writeCeiling}: {@link #measureWriteCeiling}'s
     * figure, the write's ceiling in bytes per second.
     */
    private void readBenchmark(LoopbackBandwidth.Reference loopback, double writeCeiling) throws Exception {
        Duration duration = Duration.ofSeconds(seconds);
        Path dir = dataDir != null ? dataDir : Files.createTempDirectory("copyoffload-bench");
        String yaml = """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: 0}]
                metrics: {enabled: false}
                volumes: [{name: bench, size: %dMiB, block-size: 4096}]
                subsystems: [{nqn: %s, namespaces: [{nsid: 1, volume: bench}]}]
                """.formatted(dir, regionMiB, NQN);
        int lba = 4096;
        int chunk = 128 * 1024;
        long region = (long) regionMiB << 20;
        long chunks = region / chunk;
        long blocks = region / lba;
        ByteBuf large = payload(chunk);
        ByteBuf small = payload(lba);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "bench"));
             NvmeTcpHost host = NvmeTcpHost.connect(HostOptions.builder(server.nvmeAddresses().getFirst(), NQN)
                     .ioQueues(ioQueues).build());
             NvmeTcpHost single = NvmeTcpHost.connect(HostOptions.builder(server.nvmeAddresses().getFirst(), NQN)
                     .ioQueues(1).build())) {
            // The operations measured, each also run first for the warm-up: 128 KiB walking the region in order, over
            // all queues or one, and 4 KiB at random blocks over all queues.
            LongFunction<CompletableFuture<Long>> seqWrites =
                    seq -> write(host, (int) (seq % ioQueues), (seq % chunks) * chunk / lba, large, lba);
            LongFunction<CompletableFuture<Long>> seqReads =
                    seq -> read(host, (int) (seq % ioQueues), (seq % chunks) * chunk / lba, chunk / lba, lba);
            LongFunction<CompletableFuture<Long>> oneQueueWrites =
                    seq -> write(single, 0, (seq % chunks) * chunk / lba, large, lba);
            LongFunction<CompletableFuture<Long>> oneQueueReads =
                    seq -> read(single, 0, (seq % chunks) * chunk / lba, chunk / lba, lba);
            LongFunction<CompletableFuture<Long>> randomWrites =
                    seq -> write(host, (int) (seq % ioQueues), random(blocks), small, lba);
            LongFunction<CompletableFuture<Long>> randomReads =
                    seq -> read(host, (int) (seq % ioQueues), random(blocks), 1, lba);

            // The fill: every block written once, into a sparse file, before the JIT has compiled anything.
            long fillStart = System.nanoTime();
            ClosedLoop.Result fill = ClosedLoop.run(seqDepth, chunks, Duration.ofHours(1), seqWrites);
            report.figure("nvme.fill_write_128k.mb_s", "NVMe/TCP 128 KiB write, first fill (cold)",
                    fill.bytes() / ((System.nanoTime() - fillStart) / 1e9) / 1e6, "MB/s",
                    String.format(Locale.ROOT, "QD %d over %d queue(s), %d MiB into unallocated blocks", seqDepth,
                            ioQueues, regionMiB));

            Duration warm = Duration.ofSeconds(warmUpSeconds);
            ClosedLoop.run(seqDepth, warm, seqWrites);
            ClosedLoop.run(seqDepth, warm, seqReads);
            ClosedLoop.run(randomDepth, warm, randomWrites);
            ClosedLoop.run(randomDepth, warm, randomReads);
            CopyBenchmark.settle();

            ClosedLoop.Result oneWrite = ClosedLoop.run(seqDepth, duration, oneQueueWrites);
            TrafficSnapshot before = host.traffic().snapshot();
            ClosedLoop.Result seqWrite = ClosedLoop.run(seqDepth, duration, seqWrites);
            TrafficSnapshot written = host.traffic().snapshot().minus(before);
            reportSequential("write", oneWrite, seqWrite, written.bytesSent(), "sent", loopback, 0.6);
            report.figure("nvme.seq_write_128k.ratio_into_file", "ratio write / loopback into the page cache",
                    seqWrite.bytesPerSecond() / writeCeiling, "ratio", String.format(Locale.ROOT, "against the "
                            + "faster of the loopback figures into the page cache, %.2f of the reference: the "
                            + "most a write reaches here with no protocol", writeCeiling / loopback.forQueues(ioQueues)));
            CopyBenchmark.settle();

            ClosedLoop.Result oneRead = ClosedLoop.run(seqDepth, duration, oneQueueReads);
            before = host.traffic().snapshot();
            ClosedLoop.Result seqRead = ClosedLoop.run(seqDepth, duration, seqReads);
            TrafficSnapshot read = host.traffic().snapshot().minus(before);
            reportSequential("read", oneRead, seqRead, read.bytesReceived(), "received", loopback, 0.5);

            ClosedLoop.Result randomRead = ClosedLoop.run(randomDepth, duration, randomReads);
            ClosedLoop.Result randomWrite = ClosedLoop.run(randomDepth, duration, randomWrites);
            report.figure("nvme.rand_read_4k.iops", "NVMe/TCP 4 KiB random read", randomRead.iops(), "IOPS",
                    String.format(Locale.ROOT, "QD %d over %d queue(s), %.0f MB/s, %.1f CPU us per read", randomDepth,
                            ioQueues, randomRead.bytesPerSecond() / 1e6, randomRead.cpuSeconds() * 1e6 / randomRead.operations()));
            report.figure("nvme.rand_write_4k.iops", "NVMe/TCP 4 KiB random write", randomWrite.iops(), "IOPS",
                    String.format(Locale.ROOT, "QD %d over %d queue(s), %.0f MB/s, %.1f CPU us per write", randomDepth,
                            ioQueues, randomWrite.bytesPerSecond() / 1e6, randomWrite.cpuSeconds() * 1e6 / randomWrite.operations()));
            report.figure("nvme.rand_read_4k.ratio_write", "ratio 4 KiB read / write IOPS",
                    randomRead.iops() / randomWrite.iops(), "ratio", "aim: at least 1");

            // The 128 KiB write again, as the zoned group measures its Write (one pass per round into blocks
            // deallocated just before, first round not counted, median), so the two groups compare like for like.
            List<ClosedLoop.Result> rounds = new ArrayList<>();
            for (int round = 0; round <= ZnsBenchmark.ROUNDS; round++) {
                ClosedLoop.Result pass = DeallocatedPass.run(host, 1, blocks, chunk / lba, seqDepth, duration,
                        seqWrites);
                if (round > 0) {
                    rounds.add(pass);
                }
            }
            ClosedLoop.Result deallocated = ZnsBenchmark.median(rounds);
            report.figure("nvme.seq_write_128k_deallocated.mb_s", "NVMe/TCP 128 KiB write, deallocated blocks",
                    deallocated.bytesPerSecond() / 1e6, "MB/s", String.format(Locale.ROOT, "QD %d over %d queue(s), a "
                            + "pass over %d MiB deallocated just before, median of %s MB/s; %.2f of the overwrite",
                            seqDepth, ioQueues, regionMiB, ZnsBenchmark.rates(rounds),
                            deallocated.bytesPerSecond() / seqWrite.bytesPerSecond()));
            CopyBenchmark.settle();
        } finally {
            large.release();
            small.release();
            Files.deleteIfExists(dir.resolve("bench.img"));
            if (dataDir == null) {
                Files.deleteIfExists(dir);
            }
        }
    }

    /**
     * The kernel's write-back thresholds, printed with the figures: every write figure depends on them. With
     * {@code dirty_background_ratio} at 1 instead of Linux's 10, the kernel writes the bench's 512 MiB region back
     * while it is written, and 128 KiB writes over two queues ran at 2.1 instead of 2.8-3.1 GB/s.
     */
    static String writeBackSettings() {
        return "vm.dirty_background_" + vmSetting("dirty_background") + ", vm.dirty_" + vmSetting("dirty");
    }

    /** "ratio 10" or, where the byte count is set (it wins), "bytes 67108864"; "unknown" where neither is readable. */
    private static String vmSetting(String prefix) {
        try {
            String bytes = ProcFile.read(Path.of("/proc/sys/vm/" + prefix + "_bytes")).trim();
            if (!bytes.equals("0")) {
                return "bytes " + bytes;
            }
            return "ratio " + ProcFile.read(Path.of("/proc/sys/vm/" + prefix + "_ratio")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /**
     * The 128 KiB write's ceiling on this machine: the reference's streams with readers that write everything they
     * receive into cached pages of a file, with no protocol in between; one stream, and as many as the queues. The
     * faster is the ceiling, returned in bytes per second: on two cores one stream into a file (two threads) can beat
     * two (four threads).
     */
    private double measureWriteCeiling(double reference) throws Exception {
        Path dir = Files.createTempDirectory(dataDir != null ? dataDir : Path.of(System.getProperty("java.io.tmpdir")),
                "copyoffload-bench-loopback");
        try {
            double ceiling = 0;
            for (int streams : ioQueues > 1 ? new int[] {1, ioQueues} : new int[] {1}) {
                long perStream = Math.max(1, regionMiB / streams) << 20;
                LoopbackBandwidth.Measured m = LoopbackBandwidth.measureIntoFile(Duration.ofSeconds(seconds),
                        128 * 1024, streams, dir.resolve("sink.img"), perStream);
                ceiling = Math.max(ceiling, m.bytesPerSecond());
                report.figure(streams == 1 ? "loopback.tcp_128k_into_file.mb_s" : "loopback.tcp_128k_streams_into_file.mb_s",
                        "loopback TCP, " + (streams == 1 ? "one stream" : streams + " streams") + " into the page cache",
                        m.bytesPerSecond() / 1e6, "MB/s", String.format(Locale.ROOT, "not a reference: each reader "
                                + "also writes what it receives over %d MiB of cached pages, no protocol; %.2f of the "
                                + "reference; %s", perStream >> 20, m.bytesPerSecond() / reference,
                                cpuLabel(m.cpuSecondsPerGb())));
                Files.delete(dir.resolve("sink.img"));
            }
            return ceiling;
        } finally {
            deleteContents(dir);
            Files.deleteIfExists(dir);
        }
    }

    /** "0.41 CPU s/GB": the process's CPU time (host and target together) per GB moved. */
    static String cpuLabel(double cpuSecondsPerGb) {
        return String.format(Locale.ROOT, "%.2f CPU s/GB", cpuSecondsPerGb);
    }

    /**
     * The 128 KiB figures of one direction: over one queue and over all, each with its ratio to the loopback stream(s)
     * of the same count, and the aim for the ratio over all queues.
     */
    private void reportSequential(String what, ClosedLoop.Result one, ClosedLoop.Result all, long wireBytes,
                                  String wireDirection, LoopbackBandwidth.Reference loopback, double aim) {
        String prefix = "nvme.seq_" + what + "_128k";
        report.figure(prefix + "_1q.mb_s", "NVMe/TCP 128 KiB sequential " + what + ", 1 queue",
                one.bytesPerSecond() / 1e6, "MB/s", String.format(Locale.ROOT, "QD %d, %s; %s", seqDepth,
                        loopback.describe(one.bytesPerSecond(), 1), cpuLabel(one.cpuSecondsPerGb())));
        report.keep(prefix + "_1q.ratio_loopback", "ratio " + what + " over 1 queue / one loopback stream",
                one.bytesPerSecond() / loopback.forQueues(1), "ratio");
        report.figure(prefix + ".mb_s", "NVMe/TCP 128 KiB sequential " + what, all.bytesPerSecond() / 1e6, "MB/s",
                String.format(Locale.ROOT, "QD %d over %d queue(s), %d %ss, %.1f MB %s on the wire; %s", seqDepth,
                        ioQueues, all.operations(), what, wireBytes / 1e6, wireDirection, cpuLabel(all.cpuSecondsPerGb())));
        report.keep(prefix + ".cpu_s_per_gb", "CPU seconds per GB, 128 KiB sequential " + what + " (host and target)",
                all.cpuSecondsPerGb(), "s/GB");
        report.figure(prefix + ".ratio_loopback", "ratio " + what + " / loopback", all.bytesPerSecond()
                / loopback.forQueues(ioQueues), "ratio", String.format(Locale.ROOT, "%s; aim: at least %.1f",
                loopback.describe(all.bytesPerSecond(), ioQueues), aim));
        report.keep(prefix + ".ratio_loopback_1stream", "ratio " + what + " / one loopback stream",
                all.bytesPerSecond() / loopback.oneStream(), "ratio");
    }

    /**
     * What the host writes: one buffer per size, shared by all writes (each takes its own reference), as a host
     * writes data it already holds; filling a new buffer per write would measure the benchmark, not the path.
     */
    static ByteBuf payload(int bytes) {
        ByteBuf data = ByteBufAllocator.DEFAULT.directBuffer(bytes);
        byte[] content = new byte[bytes];
        new java.util.Random(bytes).nextBytes(content);
        return data.writeBytes(content);
    }

    private static long random(long blocks) {
        return ThreadLocalRandom.current().nextLong(blocks);
    }

    private static CompletableFuture<Long> write(NvmeTcpHost host, int queue, long lba, ByteBuf data, int lbaSize) {
        int bytes = data.readableBytes();
        return host.write(queue, 1, lba, data.retainedDuplicate(), lbaSize, false).thenApply(v -> (long) bytes);
    }

    private static CompletableFuture<Long> read(NvmeTcpHost host, int queue, long lba, int blocks, int lbaSize) {
        return host.read(queue, 1, lba, blocks, lbaSize).thenApply(b -> {
            long n = b.readableBytes();
            b.release();
            return n;
        });
    }

    /** Where the bench's logback configuration sends the target's and host's log lines. */
    static final String LOG_PROPERTY = "copyoffload.bench.log";

    public static void main(String[] args) {
        // Before anything logs: the figures go to stdout alone, log lines to a file (see logback-bench.xml).
        if (System.getProperty(LOG_PROPERTY) == null) {
            System.setProperty(LOG_PROPERTY, Path.of(System.getProperty("java.io.tmpdir"),
                    "copyoffload-bench-" + ProcessHandle.current().pid() + ".log").toString());
        }
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-bench.xml");
        }
        LeakDetection.offUnlessRequested();
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }
}
