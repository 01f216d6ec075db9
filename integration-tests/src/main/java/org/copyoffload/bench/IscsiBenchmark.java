package org.copyoffload.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.initiator.iscsi.IscsiOptions;
import org.copyoffload.initiator.iscsi.IscsiSession;
import org.copyoffload.initiator.iscsi.ScsiResult;
import org.copyoffload.it.iscsi.IscsiPerf;
import org.copyoffload.it.iscsi.IscsiUrl;
import org.copyoffload.it.iscsi.TgtTarget;
import org.copyoffload.protocol.scsi.DeviceIdentification;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.ByteOffsetSegmentDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;

/**
 * {@code bench --only iscsi}: our iSCSI target beside Debian's tgt serving a file of the same size and content, both
 * measured in the same run with the same client, libiscsi's {@code iscsi-perf}: 4 KiB random reads at queue depth 32
 * and 128 KiB sequential reads at queue depth 32, with the ratio ours / tgt (medians of three alternating rounds after a
 * warm-up of each). Both files are filled with the same data
 * first and read once, so both targets serve from the page cache. (iscsi-perf 1.19 only reads: writes are not
 * measured here.) In the same run, an EXTENDED COPY of the whole LU to a second LU of the same size, sent by the Java
 * initiator ({@link IscsiSession}) within the limits the copy manager advertises, beside copy_file_range
 * between two files of the same size on the same filesystem, with the ratio (both destinations punched to holes and
 * the page cache synced before each round, as the NVMe Copy measurement does).
 *
 * <p>Writes, and reads again as a cross-check, are measured with this project's Java initiator as the one client of
 * both targets ({@link #javaClient}).
 */
final class IscsiBenchmark {
    private static final String IQN = "iqn.2026-01.org.copyoffload:bench";
    private static final int BLOCK = 512;
    private static final String INITIATOR = "iqn.2026-01.org.copyoffload:bench-initiator";
    private static final int ROUNDS = 3;
    /** A copy of 1 GiB takes about a second; five rounds after the warm-up give a steadier median. */
    private static final int COPY_ROUNDS = 5;
    private static final Duration WARM_UP = Duration.ofSeconds(2);

    private final Path dir;
    private final long sizeBytes;
    private final BenchReport report;
    private final Duration duration;

    IscsiBenchmark(Path dir, long sizeBytes, Duration duration, BenchReport report) {
        this.report = report;
        this.dir = dir;
        this.sizeBytes = sizeBytes;
        this.duration = duration;
    }

    void run() throws Exception {
        if (!IscsiPerf.installed() || !TgtTarget.installed()) {
            throw new IllegalStateException("iscsi-perf and tgtd are needed: apt-get install libiscsi-bin tgt "
                    + "(integration-tests/guest/guest.sh deps installs them)");
        }
        Path ours = dir.resolve("iscsi.img");
        fill(ours);
        String yaml = """
                data-dir: %s
                listeners: []
                metrics: {enabled: false}
                volumes:
                  - {name: iscsi, size: %d, block-size: %d}
                  - {name: iscsi-b, size: %d, block-size: %d}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0}]
                  targets: [{name: %s, luns: [{lun: 0, volume: iscsi}, {lun: 1, volume: iscsi-b}]}]
                """.formatted(dir, sizeBytes, BLOCK, sizeBytes, BLOCK, IQN);
        Files.createDirectories(dir.resolve("tgt"));
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "bench"));
             TgtTarget tgt = TgtTarget.start(TgtTarget.Config.defaults().withDir(dir.resolve("tgt"))
                     .withLuns(new TgtTarget.Lun(1, sizeBytes, BLOCK)))) {
            fill(tgt.lunFile(1));
            IscsiUrl oursUrl = new IscsiUrl("127.0.0.1", server.iscsiAddresses().getFirst().getPort(), IQN, 0);
            IscsiUrl tgtUrl = tgt.url(1);
            report.heading(String.format(Locale.ROOT, "iscsi: %d s per measurement, %d MiB LU of %d-byte blocks, client"
                    + " iscsi-perf (libiscsi), tgt serving a file of the same size and content", duration.toSeconds(),
                    sizeBytes >> 20, BLOCK));
            compare("iscsi.rand_read_4k", "4 KiB random read, QD 32", oursUrl, tgtUrl, 4096, true);
            compare("iscsi.seq_read_128k", "128 KiB sequential read, QD 32", oursUrl, tgtUrl, 128 * 1024, false);
            javaClient(server.iscsiAddresses().getFirst(), new InetSocketAddress(tgt.host(), tgt.port()), tgt.iqn());
            extendedCopy(server.iscsiAddresses().getFirst(), ours, dir.resolve("iscsi-b.img"));
        }
    }

    /**
     * EXTENDED COPY (LID1 lists of 0Ah segments) of LUN 0 onto LUN 1, median of {@link #COPY_ROUNDS} after a warm-up,
     * beside
     * copy_file_range of the LU's file to a third file. The segments are as long as MAXIMUM SEGMENT LENGTH and a
     * command carries at most MAXIMUM SEGMENT DESCRIPTOR COUNT of them, as RECEIVE COPY RESULTS reports.
     */
    private void extendedCopy(InetSocketAddress portal, Path source, Path destination) throws Exception {
        List<Double> reference = new ArrayList<>();
        List<Double> offloaded = new ArrayList<>();
        try (IscsiSession s = IscsiSession.login(IscsiOptions.of(portal, IQN).withInitiatorName(INITIATOR)
                .withTimeouts(Duration.ofSeconds(10), Duration.ofMinutes(10)))) {
            byte[] op = dataIn(s, "RECEIVE COPY RESULTS", 1, new ReceiveCopyResultsCdb(0x03, 0, 1024).encode(), 1024);
            int maxSegments = ByteBuffer.wrap(op, 10, 2).getShort() & 0xFFFF;
            long maxSegment = ByteBuffer.wrap(op, 16, 4).getInt() & 0xFFFF_FFFFL;
            List<CscdDescriptor> cscds = List.of(cscd(naa(s, 0)), cscd(naa(s, 1)));
            List<byte[]> lists = new ArrayList<>();
            List<ByteOffsetSegmentDescriptor> segments = new ArrayList<>();
            for (long at = 0; at < sizeBytes; at += maxSegment) {
                segments.add(new ByteOffsetSegmentDescriptor(false, 0, 1, Math.min(maxSegment, sizeBytes - at),
                        at / BLOCK, at / BLOCK, 0, 0, 0));
                if (segments.size() == maxSegments || at + maxSegment >= sizeBytes) {
                    lists.add(new ExtendedCopyParameterList(0, false, ExtendedCopyParameterList.ListIdUsage.NONE, 0,
                            cscds, segments, new byte[0]).encode());
                    segments.clear();
                }
            }
            // Round 0 warms up (first allocation of every destination block) and is not counted, as for NVMe Copy.
            for (int round = 0; round <= COPY_ROUNDS; round++) {
                if (round == 1) {
                    reference.clear();
                    offloaded.clear();
                }
                // Always the reference first: each copy then follows the other one, never itself. Back to back,
                // the second copy into a file just punched waited seconds for the first one's freed blocks on
                // this virtual disk, whichever copy it was.
                reference.add(CopyBenchmark.copyFileRange(source, dir.resolve("reference-copy.img"), sizeBytes, true));
                try (FileBlockStore d = FileBlockStore.open(destination, sizeBytes, false)) {
                    d.deallocate(0, sizeBytes);
                }
                CopyBenchmark.settle();
                long start = System.nanoTime();
                for (byte[] list : lists) {
                    s.run("EXTENDED COPY", 1, new ExtendedCopyCdb(list.length).encode(), Unpooled.wrappedBuffer(list), 0)
                            .close();
                }
                offloaded.add((System.nanoTime() - start) / 1e9);
            }
        }
        if (Files.mismatch(source, destination) != -1) {
            throw new IllegalStateException("EXTENDED COPY: LUN 1 differs from LUN 0 after the copy");
        }
        double ref = CopyBenchmark.median(reference);
        double off = CopyBenchmark.median(offloaded);
        report.figure("iscsi.copy_file_range.mb_s", "copy_file_range, file to file", sizeBytes / ref / 1e6, "MB/s",
                String.format(Locale.ROOT, "median of %d: %s s", reference.size(), CopyBenchmark.seconds(reference)));
        report.figure("iscsi.extended_copy.mb_s", "iSCSI EXTENDED COPY between two LUs", sizeBytes / off / 1e6, "MB/s",
                String.format(Locale.ROOT, "median of %s s; ratio to copy_file_range %.2f",
                        CopyBenchmark.seconds(offloaded), ref / off));
        report.keep("iscsi.extended_copy.ratio_copy_file_range", "iSCSI EXTENDED COPY between two LUs", ref / off, "ratio");
    }

    /** Runs a command without data-out to GOOD and returns its data-in. */
    private static byte[] dataIn(IscsiSession s, String what, int lun, byte[] cdb, int length) {
        try (ScsiResult r = s.run(what, lun, cdb, null, length)) {
            return ByteBufUtil.getBytes(r.data());
        }
    }

    private static CscdDescriptor cscd(byte[] naa) {
        return new CscdDescriptor(false, 0, 0, 1, 0, 3, naa, false, BLOCK, 0);
    }

    /** The binary NAA designator of the LU's Device Identification page. */
    private static byte[] naa(IscsiSession s, int lun) {
        byte[] page = s.inquiry(lun, true, 0x83, 1024);
        return DeviceIdentification.logicalUnitNaa(page)
                .orElseThrow(() -> new IllegalStateException("LUN " + lun + " has no NAA designator"));
    }

    /**
     * One figure: a short warm-up of each target (the JIT compiles our hot path; tgt's page cache and threads settle),
     * then {@link #ROUNDS} alternating measurements of each, and the median of each, so that a burst of other work
     * on the machine does not land on one target only.
     */
    private void compare(String name, String what, IscsiUrl ours, IscsiUrl tgt, int bytes, boolean random) throws Exception {
        String file = bytes + (random ? "-random" : "-seq");
        check(perf(ours, bytes, random, WARM_UP, "ours-" + file + "-warmup"), "ours warm-up");
        check(perf(tgt, bytes, random, WARM_UP, "tgt-" + file + "-warmup"), "tgt warm-up");
        List<IscsiPerf.Result> o = new ArrayList<>();
        List<IscsiPerf.Result> t = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            o.add(check(perf(ours, bytes, random, duration, "ours-" + file), "ours"));
            t.add(check(perf(tgt, bytes, random, duration, "tgt-" + file), "tgt"));
        }
        IscsiPerf.Result om = median(o);
        IscsiPerf.Result tm = median(t);
        double ratio = tm.iops() == 0 ? Double.NaN : (double) om.iops() / tm.iops();
        report.heading(String.format(Locale.ROOT, "%-44s ours %9d IOPS %8.0f MB/s | tgt %9d IOPS %8.0f MB/s | ratio %.2f",
                "iSCSI " + what, om.iops(), om.bytesPerSecond() / 1e6, tm.iops(), tm.bytesPerSecond() / 1e6, ratio));
        keepComparison(name, "iSCSI " + what, om.iops(), om.bytesPerSecond(), tm.iops(), tm.bytesPerSecond(), ratio);
    }

    /** The figures of one line comparing ours with tgt. */
    private void keepComparison(String name, String label, double oursIops, double oursBytes, double tgtIops,
                                double tgtBytes, double ratio) {
        report.keep(name + ".ours_iops", label, oursIops, "IOPS");
        report.keep(name + ".ours_mb_s", label, oursBytes / 1e6, "MB/s");
        report.keep(name + ".tgt_iops", label, tgtIops, "IOPS");
        report.keep(name + ".tgt_mb_s", label, tgtBytes / 1e6, "MB/s");
        report.keep(name + ".ratio_tgt", label, ratio, "ratio");
    }

    private static IscsiPerf.Result check(IscsiPerf.Result r, String which) {
        if (!r.ok()) {
            throw new IllegalStateException("iscsi-perf failed against " + which + ": " + r.describe());
        }
        return r;
    }

    private static IscsiPerf.Result median(List<IscsiPerf.Result> results) {
        List<IscsiPerf.Result> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.comparingLong(IscsiPerf.Result::iops));
        return sorted.get(sorted.size() / 2);
    }

    private IscsiPerf.Result perf(IscsiUrl url, int bytes, boolean random, Duration runtime, String name)
            throws Exception {
        return IscsiPerf.run(IscsiPerf.Options.of(url).withTransfer(bytes, BLOCK).withQueueDepth(32).withRandom(random)
                .withRuntime(runtime), "bench-" + name);
    }

    /**
     * The Java initiator ({@link IscsiSession}) as the one client of both targets, which iscsi-perf cannot be for
     * writes: 128 KiB sequential WRITE (16) and READ (16) at queue depth 32 over the whole LU, one session to each
     * target, measured as {@link #compare} does (a warm-up of each, then the median of {@link #ROUNDS} alternating
     * rounds). The client is the same code for both, so the ratio compares the targets.
     */
    private void javaClient(InetSocketAddress ours, InetSocketAddress tgt, String tgtIqn) throws Exception {
        int bytes = 128 * 1024;
        ByteBuf data = Unpooled.directBuffer(bytes);
        try (IscsiSession o = IscsiSession.login(IscsiOptions.of(ours, IQN).withMaxTasks(64));
             IscsiSession t = IscsiSession.login(IscsiOptions.of(tgt, tgtIqn).withMaxTasks(64))) {
            byte[] content = new byte[bytes];
            new Random(2).nextBytes(content);
            data.writeBytes(content);
            for (boolean write : new boolean[] {true, false}) {
                java.util.function.LongFunction<CompletableFuture<Long>> onOurs = sequential(o, 0, data, write);
                java.util.function.LongFunction<CompletableFuture<Long>> onTgt = sequential(t, 1, data, write);
                ClosedLoop.run(32, WARM_UP, onOurs);
                ClosedLoop.run(32, WARM_UP, onTgt);
                List<ClosedLoop.Result> or = new ArrayList<>();
                List<ClosedLoop.Result> tr = new ArrayList<>();
                for (int round = 0; round < ROUNDS; round++) {
                    or.add(ClosedLoop.run(32, duration, onOurs));
                    tr.add(ClosedLoop.run(32, duration, onTgt));
                }
                ClosedLoop.Result om = medianRun(or);
                ClosedLoop.Result tm = medianRun(tr);
                String what = "128 KiB sequential " + (write ? "write" : "read") + ", QD 32, Java initiator";
                double ratio = om.bytesPerSecond() / tm.bytesPerSecond();
                report.heading(String.format(Locale.ROOT, "%-44s ours %9.0f IOPS %8.0f MB/s | tgt %9.0f IOPS %8.0f MB/s"
                        + " | ratio %.2f (queue depth reached: ours %d, tgt %d)", "iSCSI " + what, om.iops(),
                        om.bytesPerSecond() / 1e6, tm.iops(), tm.bytesPerSecond() / 1e6, ratio, o.peakCommandsInFlight(),
                        t.peakCommandsInFlight()));
                keepComparison(write ? "iscsi.java_write_128k" : "iscsi.java_read_128k", "iSCSI " + what, om.iops(),
                        om.bytesPerSecond(), tm.iops(), tm.bytesPerSecond(), ratio);
            }
        } finally {
            data.release();
        }
    }

    /** One 128 KiB operation per call, at consecutive LBAs wrapping around the LU; written data is {@code data}. */
    private java.util.function.LongFunction<CompletableFuture<Long>> sequential(IscsiSession session, int lun,
                                                                                ByteBuf data, boolean write) {
        int bytes = data.readableBytes();
        int blocks = bytes / BLOCK;
        long lbas = sizeBytes / BLOCK / blocks * blocks;
        return seq -> {
            long lba = seq * blocks % lbas;
            if (write) {
                return session.write16(lun, lba, data.retainedDuplicate(), BLOCK, false).thenApply(v -> (long) bytes);
            }
            return session.read16(lun, lba, blocks, BLOCK).thenApply(b -> {
                b.release();
                return (long) bytes;
            });
        };
    }

    private static ClosedLoop.Result medianRun(List<ClosedLoop.Result> results) {
        List<ClosedLoop.Result> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.comparingDouble(ClosedLoop.Result::bytesPerSecond));
        return sorted.get(sorted.size() / 2);
    }

    /** The same pseudo-random content in both files, then read once so it sits in the page cache for both. */
    private void fill(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Random random = new Random(1);
        byte[] chunk = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            for (long at = 0; at < sizeBytes; at += chunk.length) {
                random.nextBytes(chunk);
                ByteBuffer b = ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, sizeBytes - at));
                while (b.hasRemaining()) {
                    ch.write(b, at + b.position());
                }
            }
            ch.force(false);
            ByteBuffer sink = ByteBuffer.allocateDirect(1 << 20);
            for (long at = 0; at < sizeBytes; at += sink.capacity()) {
                sink.clear();
                ch.read(sink, at);
            }
        }
    }
}
