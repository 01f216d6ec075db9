package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.copyoffload.it.iscsi.LibiscsiSuite.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The reference numbers of tgt, for the tables that will compare our target with it. Not part of every run: with
 * {@code -Dcopyoffload.iscsi.reference=true} only, e.g.
 * <pre>
 * mvn -pl integration-tests test -Dtest=TgtReferenceRunsTest -Dcopyoffload.iscsi.reference=true
 * </pre>
 * Writes {@code target/iscsi-logs/tgt-whole-suite.table.md} (the whole libiscsi suite, with data loss, LUN 1, with
 * LUN 1 again as the multipath URL) and {@code target/iscsi-logs/tgt-perf.md} (iscsi-perf).
 */
@EnabledIfSystemProperty(named = "copyoffload.iscsi.reference", matches = "true")
class TgtReferenceRunsTest {

    @Test
    void wholeSuite() throws IOException {
        IscsiTools.ensureInstalled();
        try (TgtTarget tgt = TgtTarget.start()) {
            Result r = LibiscsiSuite.run(LibiscsiSuite.Options.of(tgt.url(1))
                    .withMultipathUrl(tgt.url(1))
                    .withTests("ALL")
                    .withDataloss(true)
                    .withInitiatorNames("iqn.2026-01.org.copyoffload:libiscsi-1", "iqn.2026-01.org.copyoffload:libiscsi-2")
                    .withTimeouts(Duration.ofMinutes(30), Duration.ofMinutes(3))
                    .withName("tgt-whole-suite"));
            Path table = SuiteTable.write("tgt-whole-suite", List.of(new SuiteTable.Column("tgt 1.0.85", r)));
            System.out.println(r.describe());
            System.out.println("ALL " + r.totals() + "\nSCSI.ExtendedCopy " + r.totals("SCSI.ExtendedCopy")
                    + "\nSCSI.ReceiveCopyResults " + r.totals("SCSI.ReceiveCopyResults") + "\ntable " + table);
            assertThat(r.problems()).as(r.describe()).isEmpty();
            assertThat(r.totals().unfinished()).as(r.describe()).isZero();
            assertThat(r.tests()).hasSize(LibiscsiSuite.catalogue().expand("ALL").size());
        }
    }

    @Test
    void perf() throws Exception {
        IscsiTools.ensureInstalled();
        // Filled LUNs: reads of data, not of holes.
        try (TgtTarget tgt = TgtTarget.start(TgtTarget.Config.defaults().withLuns(TgtTarget.Lun.of(1, 1L << 30)))) {
            fill(tgt.lunFile(1));
            Duration t = Duration.ofSeconds(Long.getLong("copyoffload.iscsi.perfSeconds", 10));
            List<IscsiPerf.Result> results = new ArrayList<>();
            IscsiPerf.Options base = IscsiPerf.Options.of(tgt.url(1)).withRuntime(t);
            results.add(IscsiPerf.run(base.withTransfer(4096, 512).withQueueDepth(32).withRandom(true),
                    "tgt-perf-rand4k-qd32"));
            results.add(IscsiPerf.run(base.withTransfer(128 * 1024, 512).withQueueDepth(32),
                    "tgt-perf-seq128k-qd32"));
            results.add(IscsiPerf.run(base.withTransfer(128 * 1024, 512).withQueueDepth(1),
                    "tgt-perf-seq128k-qd1"));
            StringBuilder sb = new StringBuilder("# iscsi-perf against tgt 1.0.85 (READ16 only: iscsi-perf 1.19 "
                    + "cannot write)\n\n| run | IOPS | MiB/s | per-second IOPS |\n|---|---|---|---|\n");
            for (IscsiPerf.Result r : results) {
                assertThat(r.ok()).as(r.describe()).isTrue();
                sb.append("| ").append(r.logFile().getFileName()).append(" | ").append(r.iops()).append(" | ")
                        .append(String.format("%.1f", r.bytesPerSecond() / (1 << 20))).append(" | ")
                        .append(r.perSecond()).append(" |\n");
            }
            Files.writeString(IscsiLogs.dir().resolve("tgt-perf.md"), sb.toString());
            System.out.println(sb);
        }
    }

    /** Writes non-zero data over the whole file (1 MiB at a time). */
    private static void fill(Path file) throws IOException {
        byte[] chunk = new byte[1 << 20];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) (i * 31 + 7);
        }
        long size = Files.size(file);
        try (var out = Files.newOutputStream(file, java.nio.file.StandardOpenOption.WRITE)) {
            for (long done = 0; done < size; done += chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, size - done));
            }
        }
    }
}
