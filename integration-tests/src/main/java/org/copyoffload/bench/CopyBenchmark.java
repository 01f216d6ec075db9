package org.copyoffload.bench;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.TrafficSnapshot;
import org.copyoffload.protocol.nvme.copy.CopyCommand;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;

/**
 * The copy half of {@code copyoffload bench}: copy_file_range between two files (the reference, measured here),
 * the target's NVMe Copy inside one namespace and across two, and the same data copied by the Java host as
 * READ + WRITE over the same connection, with wall time and bytes on the wire for each.
 */
final class CopyBenchmark {
    private static final String NQN = "nqn.2026-01.org.copyoffload:bench-copy";
    private static final int LBA = 4096;
    /** MSSRL: blocks per source range; 65535 blocks of 4 KiB is just under 256 MiB. */
    private static final int MAX_RANGE_BLOCKS = 65535;

    private final Path dir;
    private final long size;
    private final int ioQueues;
    /** Bytes per READ and per WRITE of the host-driven copy (at most the controller's MDTS), and pairs in flight. */
    private final int hostChunk;
    private final int hostDepth;
    private final int repetitions;
    /** Rounds of every copy measured before the counted ones (see {@link #run}). */
    private static final int UNCOUNTED_ROUNDS = 2;
    private final Duration warmUp;
    private final BenchReport report;
    /** The loopback streams measured in the same run, the host-driven copy's reference. */
    private final LoopbackBandwidth.Reference loopback;

    CopyBenchmark(Path dir, long size, int ioQueues, int hostChunk, int hostDepth, int repetitions, Duration warmUp,
                  BenchReport report, LoopbackBandwidth.Reference loopback) {
        this.warmUp = warmUp;
        this.dir = dir;
        this.size = size;
        this.ioQueues = ioQueues;
        this.hostChunk = hostChunk;
        this.hostDepth = hostDepth;
        this.repetitions = repetitions;
        this.report = report;
        this.loopback = loopback;
    }

    void run() throws Exception {
        fillSource(dir.resolve("a.img"));
        String yaml = """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: 0}]
                metrics: {enabled: false}
                volumes:
                  - {name: a, size: %d, block-size: 4096}
                  - {name: b, size: %d, block-size: 4096}
                subsystems:
                  - nqn: %s
                    cross-namespace-copy-at-connect: true
                    namespaces: [{nsid: 1, volume: a}, {nsid: 2, volume: b}]
                """.formatted(dir, 2 * size, size, NQN);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "bench"));
             NvmeTcpHost host = NvmeTcpHost.connect(HostOptions.builder(server.nvmeAddresses().getFirst(), NQN)
                     .ioQueues(ioQueues).commandTimeout(Duration.ofMinutes(10)).build())) {
            long blocks = size / LBA;
            // Every copy overwrites destination blocks that are in the page cache (the warm-up round wrote them), after
            // a sync: a copy into deallocated blocks would also measure how fast the kernel gets new page-cache
            // memory, which on this VM varies up to eightfold from round to round (README, Benchmarks) and hits the
            // offloaded and the host-driven copies at random. copy_file_range into a punched file is measured beside,
            // so the cost of fresh memory stays visible. Medians, since single runs vary.
            List<Double> reference = new ArrayList<>();
            List<Double> sameFile = new ArrayList<>();
            List<Double> newPages = new ArrayList<>();
            List<Result> inside = new ArrayList<>();
            List<Result> across = new ArrayList<>();
            List<Result> hostDriven = new ArrayList<>();
            List<SocketCopyPipeline.Measured> pipeline = new ArrayList<>();
            warmUpHostDriven(host, blocks);
            // Round 0 writes every destination block once and is not counted. Nor is round 1: each run, the JIT
            // threw away (uncommon traps) and compiled again the host's and Netty's buffer code as its host-driven
            // copy began, 0.5-1 s of compiling on these two cores during it, the slowest round of every run (1.01-1.06
            // s against 0.77-0.86 for the rounds after it).
            for (int round = 0; round < UNCOUNTED_ROUNDS + repetitions; round++) {
                if (round == UNCOUNTED_ROUNDS) {
                    reference.clear();
                    sameFile.clear();
                    newPages.clear();
                    inside.clear();
                    across.clear();
                    hostDriven.clear();
                    pipeline.clear();
                }
                settle();
                reference.add(copyFileRange(dir.resolve("a.img"), dir.resolve("b.img"), size, false));
                settle();
                sameFile.add(copyFileRangeWithin(dir.resolve("a.img"), 0, size, size));
                settle();
                inside.add(offloaded(host, CopyDescriptorFormat.FORMAT_0, 1, 1, blocks));
                settle();
                across.add(offloaded(host, CopyDescriptorFormat.FORMAT_2, 1, 2, 0));
                settle();
                hostDriven.add(readWrite(host, blocks));
                settle();
                pipeline.add(SocketCopyPipeline.copy(dir.resolve("a.img"), dir.resolve("b.img"), size, ioQueues,
                        hostChunkBytes(host)));
                settle();
                newPages.add(copyFileRange(dir.resolve("a.img"), dir.resolve("new-pages.img"), size, true));
            }
            double ref = median(reference);
            report.figure("copy.copy_file_range.mb_s", "copy_file_range, file to file", size / ref / 1e6, "MB/s",
                    String.format(Locale.ROOT, "median of %d: %s s", reference.size(), seconds(reference)));
            double fresh = median(newPages);
            report.figure("copy.copy_file_range_new_pages.mb_s", "copy_file_range into a punched file", size / fresh / 1e6,
                    "MB/s", String.format(Locale.ROOT, "median of %d: %s s; %.2f of the copy into cached blocks; not a "
                            + "reference, the cost of new page-cache memory on this machine", newPages.size(),
                            seconds(newPages), ref / fresh));
            double within = median(sameFile);
            report.figure("copy.copy_file_range_same_file.mb_s", "copy_file_range within one file", size / within / 1e6,
                    "MB/s", String.format(Locale.ROOT, "median of %d: %s s; the same bytes as the Copy inside one "
                            + "namespace, before it, as one call", sameFile.size(), seconds(sameFile)));
            Result in = report("copy.nvme_inside", "NVMe Copy inside one namespace (format 0h)", inside, ref);
            report.figure("copy.nvme_inside.ratio_copy_file_range_same_file", "ratio Copy inside / same-file copy",
                    within / in.seconds, "ratio", "the NVMe Copy inside one namespace against copy_file_range of the "
                            + "same ranges of the same file");
            Result ac = report("copy.nvme_across", "NVMe Copy across namespaces (format 2h)", across, ref);
            Result hd = report("copy.host_driven", String.format(Locale.ROOT, "READ + WRITE by the Java host, %d KiB",
                    hostChunkBytes(host) >> 10), hostDriven, ref);
            double hostDrivenRate = size / hd.seconds;
            report.figure("copy.host_driven.ratio_loopback", "ratio host-driven copy / loopback",
                    hostDrivenRate / loopback.forQueues(ioQueues), "ratio", loopback.describe(hostDrivenRate, ioQueues)
                            + "; aim: at least 0.5");
            report.keep("copy.host_driven.ratio_loopback_1stream", "ratio host-driven copy / one loopback stream",
                    hostDrivenRate / loopback.oneStream(), "ratio");
            reportPipeline(pipeline, hostDrivenRate, hostChunkBytes(host));
            report.figure("copy.offload_speedup.ratio", "speed-up of offload", hd.seconds / ac.seconds, "ratio",
                    "median wall time, host-driven / offloaded across namespaces");
        }
    }

    /**
     * Runs the host-driven copy until it stops getting faster: at least the warm-up time, then until three rounds in a
     * row are no faster than 0.95 of the best before them, at most ten warm-up times. A fixed 3 s left C2 compiling
     * through the measured rounds (they went 1.8, 1.4, 1.1, 1.2, 0.9 s; after 10 s, 0.8-1.2 s); two rounds still
     * left the measured ones getting faster (0.81, 0.76, 0.69, 0.68, 0.65 s).
     */
    private void warmUpHostDriven(NvmeTcpHost host, long blocks) throws InterruptedException {
        long start = System.nanoTime();
        long minimum = start + warmUp.toNanos();
        long maximum = start + 10 * warmUp.toNanos();
        double best = Double.MAX_VALUE;
        int notFaster = 0;
        while (System.nanoTime() < maximum && (System.nanoTime() < minimum || notFaster < 3)) {
            double seconds = readWrite(host, blocks).seconds;
            notFaster = seconds < 0.95 * best ? 0 : notFaster + 1;
            best = Math.min(best, seconds);
        }
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    /** The round in the middle when sorted by {@code key} (the upper one of an even count, as {@link #median}). */
    private static <T> T medianBy(List<T> rounds, java.util.function.ToDoubleFunction<T> key) {
        return rounds.stream().sorted(java.util.Comparator.comparingDouble(key)).toList().get(rounds.size() / 2);
    }

    static String seconds(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).reduce((a, b) -> a + ", " + b).orElse("");
    }

    /** Dataset Management with AD: the range becomes holes (zoned group: the conventional writes' destination). */
    static void deallocate(NvmeTcpHost host, int nsid, long slba, long blocks) {
        ByteBuf range = io.netty.buffer.Unpooled.buffer(16);
        range.writeIntLE(0).writeIntLE((int) blocks).writeLongLE(slba);
        var sqe = org.copyoffload.protocol.nvme.SubmissionQueueEntry.builder(
                org.copyoffload.protocol.nvme.NvmOpcode.DATASET_MANAGEMENT.code()).nsid(nsid).cdw10(0).cdw11(0x4).build();
        try (Completion c = host.submitIo(0, sqe, range, 0).join()) {
            if (!c.isSuccess()) {
                throw new IllegalStateException("deallocate failed: " + c.status());
            }
        }
    }

    /**
     * One round: wall time, bytes on the wire, the process's CPU time (host and target together) and how long the JIT
     * compiled during it (on two cores, CPU taken from the copy).
     */
    private record Result(double seconds, TrafficSnapshot traffic, double cpuSeconds, long jitMillis) {
    }

    /** Reports the median run of {@code runs} (throughput, ratio to copy_file_range, bytes on the wire) and returns it. */
    private Result report(String name, String what, List<Result> runs, double reference) {
        Result r = medianBy(runs, Result::seconds);
        double cpuPerGb = r.cpuSeconds / (size / 1e9);
        report.figure(name + ".mb_s", what, size / r.seconds / 1e6, "MB/s", String.format(Locale.ROOT,
                "median of %s s; ratio to copy_file_range %.2f; %s, JIT %d ms; wire: %s sent, %s received, %d+%d PDUs",
                seconds(runs.stream().map(Result::seconds).toList()), reference / r.seconds,
                BenchCommand.cpuLabel(cpuPerGb), r.jitMillis,
                human(r.traffic.bytesSent()), human(r.traffic.bytesReceived()), r.traffic.pdusSent(),
                r.traffic.pdusReceived()));
        report.keep(name + ".ratio_copy_file_range", what, reference / r.seconds, "ratio");
        report.keep(name + ".cpu_s_per_gb", "CPU seconds per GB copied (host and target)", cpuPerGb, "s/GB");
        report.keep(name + ".wire_bytes", what, r.traffic.bytesSent() + r.traffic.bytesReceived(), "bytes");
        return r;
    }

    /**
     * The host-driven copy's ceiling on this machine: the same bytes, chunks and queues through loopback and a
     * forwarding thread with no protocol at all ({@link SocketCopyPipeline}), and the host-driven copy against it.
     */
    private void reportPipeline(List<SocketCopyPipeline.Measured> rounds, double hostDrivenRate, int chunk) {
        SocketCopyPipeline.Measured median = medianBy(rounds, SocketCopyPipeline.Measured::seconds);
        double rate = size / median.seconds();
        report.figure("copy.socket_pipeline.mb_s", "the same copy without a protocol", rate / 1e6, "MB/s",
                String.format(Locale.ROOT, "median of %s s; file -> loopback -> forwarding thread -> loopback -> file, "
                        + "%d KiB chunks over %d queue(s): the most a host-driven copy reaches here; %.2f of one "
                        + "loopback stream; %s", seconds(rounds.stream().map(SocketCopyPipeline.Measured::seconds)
                        .toList()), chunk >> 10, ioQueues, rate / loopback.oneStream(),
                        BenchCommand.cpuLabel(median.cpuSeconds() / (size / 1e9))));
        report.keep("copy.socket_pipeline.cpu_s_per_gb", "CPU seconds per GB, the copy without a protocol",
                median.cpuSeconds() / (size / 1e9), "s/GB");
        report.figure("copy.host_driven.ratio_socket_pipeline", "ratio host-driven copy / copy without protocol",
                hostDrivenRate / rate, "ratio", "what NVMe/TCP and our host and target cost on top of moving the bytes");
    }

    /**
     * Writes back all dirty pages (sync), so every measurement starts from the same state: otherwise the
     * kernel's write-back of what the previous copy left dirty slows the next one down.
     */
    static void settle() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sync").inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("sync failed with status " + p.exitValue());
        }
    }

    /** The source data, written straight into the volume file before the target opens it. */
    private void fillSource(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            byte[] random = new byte[1 << 20];
            ThreadLocalRandom.current().nextBytes(random);
            for (long at = 0; at < size; at += chunk.capacity()) {
                chunk.clear().put(random).flip();
                chunk.putLong(0, at);
                while (chunk.hasRemaining()) {
                    ch.write(chunk, at + chunk.position());
                }
            }
            ch.force(false);
        }
    }

    /**
     * copy_file_range (FileChannel.transferTo) of {@code size} bytes from {@code from} to {@code to}: the seconds it
     * takes. With {@code punchFirst} the destination range is deallocated and synced first, so the copy writes into
     * new page-cache memory; without, it overwrites what is there (the copy group's reference copies between the very
     * files the target copies between, into blocks the target's copies find as it does).
     */
    static double copyFileRange(Path from, Path to, long size, boolean punchFirst) throws IOException {
        if (punchFirst) {
            try (FileBlockStore target = FileBlockStore.open(to, size, true)) {
                target.deallocate(0, size);
            }
            settleQuietly();
        }
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            return transfer(in, 0, out, 0, size);
        }
    }

    /**
     * copy_file_range of {@code size} bytes within one file, from byte {@code from} to byte {@code to} (ranges that
     * do not overlap), in one call as a local tool would: the same work as a Copy inside one namespace of that file.
     */
    static double copyFileRangeWithin(Path file, long from, long to, long size) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
            return transfer(in, from, out, to, size);
        }
    }

    /**
     * The seconds {@code FileChannel.transferTo} (copy_file_range between files) takes to copy {@code size} bytes
     * from {@code from} in {@code in} to {@code to} in {@code out}, in as few calls as the kernel allows.
     */
    private static double transfer(FileChannel in, long from, FileChannel out, long to, long size) throws IOException {
        long start = System.nanoTime();
        long done = 0;
        while (done < size) {
            done += in.transferTo(from + done, size - done, out.position(to + done));
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static void settleQuietly() throws IOException {
        try {
            settle();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while syncing", e);
        }
    }

    /** One Copy command per MCL-sized piece, each with as many MSSRL-sized ranges as it needs. */
    private Result offloaded(NvmeTcpHost host, CopyDescriptorFormat format, int sourceNsid, int destinationNsid,
                             long destinationLba) {
        TrafficSnapshot before = host.traffic().snapshot();
        long cpuStart = ProcessCpu.nanos();
        long jitStart = ProcessCpu.jitMillis();
        long start = System.nanoTime();
        long blocks = size / LBA;
        List<CopySourceRange> ranges = new ArrayList<>();
        for (long lba = 0; lba < blocks; lba += MAX_RANGE_BLOCKS) {
            int n = (int) Math.min(MAX_RANGE_BLOCKS, blocks - lba);
            ranges.add(format.namesSourceNamespace() ? CopySourceRange.of(format, sourceNsid, lba, n)
                    : CopySourceRange.of(format, lba, n));
        }
        CopyCommand cmd = CopyCommand.builder().nsid(destinationNsid).sdlba(destinationLba).descriptorFormat(format)
                .ranges(ranges.size()).build();
        ByteBuf descriptors = CopySourceRange.encodeList(ranges);
        try (Completion c = host.submitIo(0, cmd.toSqe(0), descriptors, 0).join()) {
            if (!c.isSuccess()) {
                throw new IllegalStateException("Copy failed: " + c.status());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(seconds, host.traffic().snapshot().minus(before), (ProcessCpu.nanos() - cpuStart) / 1e9,
                ProcessCpu.jitMillis() - jitStart);
    }

    /**
     * The host-driven copy: READs of {@link #hostChunkBytes} from namespace 1, each followed by a WRITE of the data
     * received to namespace 2, {@code hostDepth} pairs in flight.
     */
    private Result readWrite(NvmeTcpHost host, long blocks) throws InterruptedException {
        TrafficSnapshot before = host.traffic().snapshot();
        int chunkBlocks = hostChunkBytes(host) / LBA;
        long chunks = (blocks + chunkBlocks - 1) / chunkBlocks;
        long jitStart = ProcessCpu.jitMillis();
        long start = System.nanoTime();
        ClosedLoop.Result run = ClosedLoop.run(hostDepth, chunks, Duration.ofHours(1), seq -> {
            int queue = (int) (seq % ioQueues);
            long lba = seq * chunkBlocks;
            int n = (int) Math.min(chunkBlocks, blocks - lba);
            CompletableFuture<ByteBuf> read = host.read(queue, 1, lba, n, LBA);
            return read.thenCompose(data -> host.write(queue, 2, lba, data, LBA, false))
                    .thenApply(v -> (long) n * LBA);
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(seconds, host.traffic().snapshot().minus(before), run.cpuSeconds(),
                ProcessCpu.jitMillis() - jitStart);
    }

    /** The chunk asked for, at most the controller's largest transfer (MDTS), in whole blocks. */
    private int hostChunkBytes(NvmeTcpHost host) {
        long mdts = host.controller().maxTransferBytes();
        long chunk = mdts == 0 ? hostChunk : Math.min(hostChunk, mdts);
        return (int) Math.max(LBA, chunk / LBA * LBA);
    }

    private static String human(long bytes) {
        return bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
                : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
