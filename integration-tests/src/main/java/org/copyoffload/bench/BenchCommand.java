package org.copyoffload.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.TrafficSnapshot;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.cli.LeakDetection;
import org.copyoffload.server.config.ConfigLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code copyoffload bench}: NVMe/TCP read throughput and IOPS of the target measured with the Java host over
 * loopback, beside the loopback TCP bandwidth of the same machine measured in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measures, in one run on loopback: one TCP stream's bandwidth (the reference), the target's",
                "128 KiB sequential read throughput with the Java host and its ratio to the reference, and",
                "4 KiB random read IOPS at queue depth 32; NVMe Copy against copy_file_range and a host-driven copy;",
                "Zone Append throughput and 4 KiB IOPS beside plain writes, and the zoned crash test; iSCSI reads",
                "beside Debian's tgt with libiscsi's iscsi-perf. The target runs in this process on temporary volumes",
                "(a separate process for the crash test)."})
public final class BenchCommand implements Callable<Integer> {
    private static final String NQN = "nqn.2026-01.org.copyoffload:bench";

    @Option(names = "--seconds", defaultValue = "5", description = "Length of each measurement (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--region", defaultValue = "512", description = "MiB written first and then read (default: ${DEFAULT-VALUE}).")
    int regionMiB;

    @Option(names = "--seq-depth", defaultValue = "16", description = "Queue depth of the sequential reads (default: ${DEFAULT-VALUE}).")
    int seqDepth;

    @Option(names = "--random-depth", defaultValue = "32", description = "Queue depth of the random reads (default: ${DEFAULT-VALUE}).")
    int randomDepth;

    @Option(names = "--io-queues", description = "I/O queues (TCP connections) of the host; like Linux, one per CPU "
            + "by default. The sequential read is also measured with one queue for comparison.")
    Integer ioQueues;

    @Option(names = "--data-dir", description = "Where the volume files go (default: a temporary folder).")
    Path dataDir;

    @Option(names = "--copy-size", defaultValue = "1024", description = "MiB copied by the copy measurements (default: ${DEFAULT-VALUE}).")
    int copySizeMiB;

    @Option(names = "--only", description = "Run only one group of measurements: read, copy, zns or iscsi (default: all;"
            + " iscsi when iscsi-perf and tgtd are installed).")
    String only;

    @Option(names = "--zns-size", defaultValue = "4096", description = "MiB of each namespace of the zoned measurements (default: ${DEFAULT-VALUE}).")
    int znsSizeMiB;

    @Option(names = "--crash-kills", defaultValue = "50", description = "SIGKILLs of the zoned crash test (default: ${DEFAULT-VALUE}; 0 skips it).")
    int crashKills;

    @Option(names = "--iscsi-size", defaultValue = "1024", description = "MiB of the LU the iSCSI measurements read (default: ${DEFAULT-VALUE}).")
    int iscsiSizeMiB;

    @Option(names = "--copy-rounds", defaultValue = "5", description = "Rounds of the copy measurements; medians are reported (default: ${DEFAULT-VALUE}).")
    int copyRounds;

    @Override
    public Integer call() throws Exception {
        if (ioQueues == null) {
            ioQueues = Runtime.getRuntime().availableProcessors();
        }
        if (only != null && !java.util.Set.of("read", "copy", "zns", "iscsi").contains(only)) {
            System.err.println("bench: --only must be read, copy, zns or iscsi, not " + only);
            return 2;
        }
        if (znsSizeMiB < 64 || znsSizeMiB % 64 != 0) {
            System.err.println("bench: --zns-size must be a multiple of the 64 MiB zone size, not " + znsSizeMiB);
            return 2;
        }
        if (only == null || only.equals("read")) {
            readBenchmark();
        }
        if (only == null || only.equals("copy")) {
            Path dir = Files.createTempDirectory(dataDir != null ? dataDir : Path.of(System.getProperty("java.io.tmpdir")),
                    "copyoffload-bench-copy");
            try {
                System.out.printf(Locale.ROOT, "copy: %d MiB, %d I/O queue(s), host-driven copy at QD %d%n",
                        copySizeMiB, ioQueues, seqDepth);
                new CopyBenchmark(dir, (long) copySizeMiB << 20, ioQueues, seqDepth, copyRounds).run();
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
                new IscsiBenchmark(dir, (long) iscsiSizeMiB << 20, Duration.ofSeconds(seconds)).run();
            } finally {
                deleteTree(dir);
            }
        } else if (only == null) {
            System.out.println("iscsi: not measured (needs iscsi-perf and tgtd: apt-get install libiscsi-bin tgt)");
        }
        return 0;
    }

    private void znsBenchmark() throws Exception {
        Path dir = Files.createTempDirectory(dataDir != null ? dataDir : Path.of(System.getProperty("java.io.tmpdir")),
                "copyoffload-bench-zns");
        try {
            System.out.printf(Locale.ROOT, "zoned: %d s per measurement, %d MiB namespaces (64 MiB zones), %d I/O queue(s)%n",
                    seconds, znsSizeMiB, ioQueues);
            new ZnsBenchmark(dir, (long) znsSizeMiB << 20, ioQueues, seqDepth, randomDepth, Duration.ofSeconds(seconds)).run();
            deleteContents(dir);
            if (crashKills > 0) {
                long seed = System.nanoTime();
                ZoneCrashCampaign.Result r = new ZoneCrashCampaign(dir, crashKills, seed, null).run();
                System.out.printf(Locale.ROOT, "%-44s %d kills survived (%d while starting), %d FUA writes and %d FUA appends"
                                + " acknowledged and found intact, %d resets acknowledged, %d blocks checked, %.0f s (seed %d)%n",
                        "zoned crash test (SIGKILL, restart, check)", r.kills() + r.startupKills(), r.startupKills(),
                        r.writesChecked(), r.appendsChecked(), r.resetsAcknowledged(), r.blocksChecked(), r.seconds(), seed);
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

    private void readBenchmark() throws Exception {
        Duration duration = Duration.ofSeconds(seconds);
        Path dir = dataDir != null ? dataDir : Files.createTempDirectory("copyoffload-bench");
        System.out.printf(Locale.ROOT, "copyoffload bench: %d s per measurement, %d MiB region, %d I/O queue(s), %d cores%n",
                seconds, regionMiB, ioQueues, Runtime.getRuntime().availableProcessors());

        double loopback = LoopbackBandwidth.measure(duration, 128 * 1024);
        System.out.printf(Locale.ROOT, "%-44s %10.0f MB/s%n", "loopback TCP, one stream, 128 KiB writes", loopback / 1e6);

        String yaml = """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: 0}]
                metrics: {enabled: false}
                volumes: [{name: bench, size: %dMiB, block-size: 4096}]
                subsystems: [{nqn: %s, namespaces: [{nsid: 1, volume: bench}]}]
                """.formatted(dir, regionMiB, NQN);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "bench"));
             NvmeTcpHost host = NvmeTcpHost.connect(HostOptions.builder(server.nvmeAddresses().getFirst(), NQN)
                     .ioQueues(ioQueues).build())) {
            int lba = 4096;
            long region = (long) regionMiB << 20;
            int chunk = 128 * 1024;
            long chunks = region / chunk;

            // Fill the region once, so reads come from the page cache rather than from holes.
            long fillStart = System.nanoTime();
            ClosedLoop.Result fill = ClosedLoop.run(seqDepth, chunks, Duration.ofHours(1), seq -> {
                ByteBuf data = ByteBufAllocator.DEFAULT.directBuffer(chunk);
                data.writeLong(seq).writeZero(chunk - 16).writeLong(~seq);
                return host.write(queue(seq), 1, seq * chunk / lba, data, lba, false).thenApply(v -> (long) chunk);
            });
            double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
            System.out.printf(Locale.ROOT, "%-44s %10.0f MB/s%n", "NVMe/TCP 128 KiB sequential write (fill)",
                    fill.bytes() / fillSeconds / 1e6);

            if (ioQueues > 1) {
                try (NvmeTcpHost single = NvmeTcpHost.connect(HostOptions.builder(server.nvmeAddresses().getFirst(), NQN)
                        .ioQueues(1).build())) {
                    ClosedLoop.Result one = sequentialRead(single, 1, duration, chunks, chunk, lba);
                    System.out.printf(Locale.ROOT, "%-44s %10.0f MB/s  (QD %d, ratio to loopback %.2f)%n",
                            "NVMe/TCP 128 KiB sequential read, 1 queue", one.bytesPerSecond() / 1e6, seqDepth,
                            one.bytesPerSecond() / loopback);
                }
            }
            TrafficSnapshot before = host.traffic().snapshot();
            ClosedLoop.Result seqRead = sequentialRead(host, ioQueues, duration, chunks, chunk, lba);
            TrafficSnapshot after = host.traffic().snapshot();
            System.out.printf(Locale.ROOT, "%-44s %10.0f MB/s  (QD %d over %d queue(s), %d reads, %.1f MB received on the wire)%n",
                    "NVMe/TCP 128 KiB sequential read", seqRead.bytesPerSecond() / 1e6, seqDepth, ioQueues,
                    seqRead.operations(), (after.bytesReceived() - before.bytesReceived()) / 1e6);
            double ratio = seqRead.bytesPerSecond() / loopback;
            System.out.printf(Locale.ROOT, "%-44s %10.2f   (aim: at least 0.5)%n", "ratio read / loopback", ratio);

            long blocks = region / lba;
            ClosedLoop.Result random = ClosedLoop.run(randomDepth, duration, seq ->
                    host.read(queue(seq), 1, ThreadLocalRandom.current().nextLong(blocks), 1, lba).thenApply(b -> {
                        b.release();
                        return (long) lba;
                    }));
            System.out.printf(Locale.ROOT, "%-44s %10.0f IOPS (QD %d, %.0f MB/s)%n", "NVMe/TCP 4 KiB random read",
                    random.iops(), randomDepth, random.bytesPerSecond() / 1e6);
        } finally {
            Files.deleteIfExists(dir.resolve("bench.img"));
            if (dataDir == null) {
                Files.deleteIfExists(dir);
            }
        }
    }

    private int queue(long seq) {
        return (int) (seq % ioQueues);
    }

    /** 128 KiB reads walking the region in order, {@code seqDepth} in flight spread over {@code queues} queues. */
    private ClosedLoop.Result sequentialRead(NvmeTcpHost host, int queues, Duration duration, long chunks, int chunk,
                                             int lba) throws InterruptedException {
        return ClosedLoop.run(seqDepth, duration, seq ->
                host.read((int) (seq % queues), 1, (seq % chunks) * chunk / lba, chunk / lba, lba).thenApply(b -> {
                    long n = b.readableBytes();
                    b.release();
                    return n;
                }));
    }

    public static void main(String[] args) {
        LeakDetection.offUnlessRequested();
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }
}
