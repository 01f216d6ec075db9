package org.copyoffload.bench;

import java.io.IOException;
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
import org.copyoffload.it.iscsi.IscsiPerf;
import org.copyoffload.it.iscsi.IscsiUrl;
import org.copyoffload.it.iscsi.TgtTarget;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;

/**
 * {@code bench --only iscsi}: our iSCSI target beside Debian's tgt serving a file of the same size and content, both
 * measured in the same run with the same client, libiscsi's {@code iscsi-perf}: 4 KiB random reads at queue depth 32
 * and 128 KiB sequential reads at queue depth 32, with the ratio ours / tgt (medians of three alternating rounds after a
 * warm-up of each). Both files are filled with the same data
 * first and read once, so both targets serve from the page cache. (iscsi-perf 1.19 only reads: writes are not
 * measured here.)
 */
final class IscsiBenchmark {
    private static final String IQN = "iqn.2026-01.org.copyoffload:bench";
    private static final int BLOCK = 512;
    private static final int ROUNDS = 3;
    private static final Duration WARM_UP = Duration.ofSeconds(2);

    private final Path dir;
    private final long sizeBytes;
    private final Duration duration;

    IscsiBenchmark(Path dir, long sizeBytes, Duration duration) {
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
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0}]
                  targets: [{name: %s, luns: [{lun: 0, volume: iscsi}]}]
                """.formatted(dir, sizeBytes, BLOCK, IQN);
        Files.createDirectories(dir.resolve("tgt"));
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "bench"));
             TgtTarget tgt = TgtTarget.start(TgtTarget.Config.defaults().withDir(dir.resolve("tgt"))
                     .withLuns(new TgtTarget.Lun(1, sizeBytes, BLOCK)))) {
            fill(tgt.lunFile(1));
            IscsiUrl oursUrl = new IscsiUrl("127.0.0.1", server.iscsiAddresses().getFirst().getPort(), IQN, 0);
            IscsiUrl tgtUrl = tgt.url(1);
            System.out.printf(Locale.ROOT, "iscsi: %d s per measurement, %d MiB LU of %d-byte blocks, client iscsi-perf"
                    + " (libiscsi), tgt serving a file of the same size and content%n", duration.toSeconds(),
                    sizeBytes >> 20, BLOCK);
            compare("4 KiB random read, QD 32", oursUrl, tgtUrl, 4096, true);
            compare("128 KiB sequential read, QD 32", oursUrl, tgtUrl, 128 * 1024, false);
        }
    }

    /**
     * One figure: a short warm-up of each target (the JIT compiles our hot path; tgt's page cache and threads settle),
     * then {@link #ROUNDS} alternating measurements of each, and the median of each, so that a burst of other work
     * on the machine does not land on one target only.
     */
    private void compare(String what, IscsiUrl ours, IscsiUrl tgt, int bytes, boolean random) throws Exception {
        String name = bytes + (random ? "-random" : "-seq");
        check(perf(ours, bytes, random, WARM_UP, "ours-" + name + "-warmup"), "ours warm-up");
        check(perf(tgt, bytes, random, WARM_UP, "tgt-" + name + "-warmup"), "tgt warm-up");
        List<IscsiPerf.Result> o = new ArrayList<>();
        List<IscsiPerf.Result> t = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            o.add(check(perf(ours, bytes, random, duration, "ours-" + name), "ours"));
            t.add(check(perf(tgt, bytes, random, duration, "tgt-" + name), "tgt"));
        }
        IscsiPerf.Result om = median(o);
        IscsiPerf.Result tm = median(t);
        System.out.printf(Locale.ROOT, "%-44s ours %9d IOPS %8.0f MB/s | tgt %9d IOPS %8.0f MB/s | ratio %.2f%n",
                "iSCSI " + what, om.iops(), om.bytesPerSecond() / 1e6, tm.iops(), tm.bytesPerSecond() / 1e6,
                tm.iops() == 0 ? Double.NaN : (double) om.iops() / tm.iops());
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
