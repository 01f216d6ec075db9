package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.copyoffload.it.iscsi.LibiscsiSuite.Outcome;
import org.copyoffload.it.iscsi.LibiscsiSuite.Result;
import org.copyoffload.it.iscsi.LibiscsiSuite.TestResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The iSCSI real-client harness proven on a real peer: Debian's libiscsi 1.19 ({@code iscsi-test-cu},
 * {@code iscsi-perf}) against Debian's tgt 1.0.85, both on this host, over loopback. Needs root (tgtd) and the
 * two packages ({@link IscsiTools}); no guest. About 20 s.
 *
 * <p>The same runner will run against our own iSCSI target; tgt is also the reference its tables compare with
 * ({@code -Dcopyoffload.iscsi.reference=true} runs the whole suite: {@link TgtReferenceRunsTest}).
 */
class LibiscsiAgainstTgtTest {

    private static final String INITIATOR_1 = "iqn.2026-01.org.copyoffload:libiscsi-1";
    private static final String INITIATOR_2 = "iqn.2026-01.org.copyoffload:libiscsi-2";
    private static final Duration RUN = Duration.ofSeconds(120);
    private static final Duration PER_TEST = Duration.ofSeconds(30);

    private static TgtTarget tgt;

    @BeforeAll
    static void startTgt() throws IOException {
        IscsiTools.ensureInstalled();
        tgt = TgtTarget.start(TgtTarget.Config.defaults());
    }

    @AfterAll
    static void stopTgt() {
        if (tgt == null) {
            return;
        }
        long pid = tgt.pid();
        tgt.close();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("tgtd %d after close", pid)
                .isFalse();
        assertThat(tgt.stoppedCleanly()).as("tgtd stopped by tgtadm, not killed").isTrue();
    }

    private static LibiscsiSuite.Options on(int lun, String name, String... tests) {
        return LibiscsiSuite.Options.of(tgt.url(lun)).withTests(tests).withDataloss(true)
                .withInitiatorNames(INITIATOR_1, INITIATOR_2).withTimeouts(RUN, PER_TEST).withName(name);
    }

    private static Outcome outcome(Result r, String name) {
        return r.test(name).map(TestResult::outcome).orElseThrow(() -> new AssertionError("no " + name));
    }

    @Test
    @DisplayName("quick families on LUN 1: every selected test reported, CUnit's counts agree, tgt passes the basics")
    void quickFamilies() throws IOException {
        String[] families = {"SCSI.TestUnitReady", "SCSI.Inquiry", "SCSI.ReadCapacity10", "SCSI.ReadCapacity16",
                "SCSI.Read10", "SCSI.Write10"};
        Result r = LibiscsiSuite.run(on(1, "tgt-quick", families));
        Path table = SuiteTable.write("tgt-quick", List.of(new SuiteTable.Column("tgt", r)));

        assertThat(r.problems()).as(r.describe()).isEmpty();
        // What the tool says it registered is what was read, in its order.
        assertThat(r.tests()).extracting(TestResult::name)
                .containsExactlyElementsOf(LibiscsiSuite.catalogue().expand(String.join(",", List.of(families).reversed())));
        assertThat(r.tests()).hasSizeGreaterThanOrEqualTo(20);
        assertThat(r.invocations()).singleElement().satisfies(i -> {
            assertThat(i.exitCode()).as("iscsi-test-cu exits 0 when no test failed").isZero();
            CunitOutput.Summary s = i.summary().orElseThrow();
            assertThat(s.tests().ran()).isEqualTo(r.tests().size());
            assertThat(s.tests().passed()).isEqualTo(r.totals().passed() + r.totals().skipped());
            assertThat(s.tests().failed()).isZero();
        });
        for (String family : List.of("SCSI.TestUnitReady", "SCSI.ReadCapacity10", "SCSI.Read10", "SCSI.Write10")) {
            assertThat(r.totals(family).passed()).as(family + ": " + r.describe()).isEqualTo(r.totals(family).total())
                    .isPositive();
        }
        assertThat(outcome(r, "SCSI.Inquiry.Standard")).isEqualTo(Outcome.PASSED);
        assertThat(outcome(r, "SCSI.ReadCapacity16.Simple")).isEqualTo(Outcome.PASSED);
        assertThat(r.totals().failed()).as(r.describe()).isZero();
        // The writes went to LUN 1's file, and only there: the LUN number is the one asked for.
        assertThat(allZero(tgt.lunFile(1))).as("LUN 1 written").isFalse();
        assertThat(allZero(tgt.lunFile(2))).as("LUN 2 untouched").isTrue();
        assertThat(table).exists();
        assertThat(Files.readString(table)).contains("| SCSI.Write10 ");
    }

    @Test
    @DisplayName("the copy families: tgt has no EXTENDED COPY, CUnit passes all 8, the runner reads 8 SKIPPED")
    void copyFamiliesSkipOnTgt() {
        Result r = LibiscsiSuite.run(on(1, "tgt-copy", "SCSI.ExtendedCopy", "SCSI.ReceiveCopyResults"));

        assertThat(r.problems()).as(r.describe()).isEmpty();
        assertThat(r.totals("SCSI.ExtendedCopy")).isEqualTo(new LibiscsiSuite.Totals(0, 0, 6, 0, 0, 0));
        assertThat(r.totals("SCSI.ReceiveCopyResults")).isEqualTo(new LibiscsiSuite.Totals(0, 0, 2, 0, 0, 0));
        assertThat(r.tests()).allSatisfy(t -> assertThat(t.skipReasons()).isNotEmpty()
                .allMatch(s -> s.contains("is not implemented")));
        // What CUnit alone would have said.
        assertThat(r.invocations().getFirst().summary().orElseThrow().tests())
                .isEqualTo(new CunitOutput.Row("tests", 8, 8, 8, 0, 0));
    }

    @Test
    @DisplayName("the second URL is a second path to the SAME LU (libiscsi 1.19): same LU runs MultipathIO, another LU is refused")
    void multipathUrl() {
        Result same = LibiscsiSuite.run(on(1, "tgt-multipath", "SCSI.MultipathIO.Simple").withMultipathUrl(tgt.url(1)));
        assertThat(same.problems()).as(same.describe()).isEmpty();
        assertThat(outcome(same, "SCSI.MultipathIO.Simple")).isEqualTo(Outcome.PASSED);
        assertThat(same.invocations().getFirst().preamble()).anyMatch(l -> l.contains("matching LU device identifier"));

        Result single = LibiscsiSuite.run(on(1, "tgt-multipath-none", "SCSI.MultipathIO.Simple"));
        assertThat(outcome(single, "SCSI.MultipathIO.Simple")).isEqualTo(Outcome.SKIPPED);

        Result other = LibiscsiSuite.run(on(1, "tgt-multipath-lun2", "SCSI.MultipathIO.Simple")
                .withMultipathUrl(tgt.url(2)));
        assertThat(outcome(other, "SCSI.MultipathIO.Simple")).isEqualTo(Outcome.NOT_RUN);
        assertThat(other.problems()).singleElement().asString().contains("multipath devices don't match");
    }

    @Test
    @DisplayName("initiator names reach the target: a tgt that admits one name lets it in and keeps the tool's default out")
    void initiatorNames() throws IOException {
        try (TgtTarget only = TgtTarget.start(TgtTarget.Config.defaults().withLuns(TgtTarget.Lun.of(1, 16L << 20))
                .withInitiators(INITIATOR_1))) {
            LibiscsiSuite.Options o = LibiscsiSuite.Options.of(only.url(1)).withTests("SCSI.TestUnitReady")
                    .withTimeouts(RUN, PER_TEST);
            Result admitted = LibiscsiSuite.run(o.withInitiatorNames(INITIATOR_1, null).withName("tgt-acl-admitted"));
            assertThat(admitted.problems()).as(admitted.describe()).isEmpty();
            assertThat(outcome(admitted, "SCSI.TestUnitReady.Simple")).isEqualTo(Outcome.PASSED);

            Result refused = LibiscsiSuite.run(o.withName("tgt-acl-refused"));
            assertThat(outcome(refused, "SCSI.TestUnitReady.Simple")).isEqualTo(Outcome.NOT_RUN);
            assertThat(refused.problems()).singleElement().asString().contains("stopped before its tests");
        }
    }

    @Test
    @DisplayName("a target that stops answering (tgtd SIGSTOPped) is caught by the watchdog, and tgt still stops cleanly")
    void hungTarget() throws IOException {
        TgtTarget frozen = TgtTarget.start(TgtTarget.Config.defaults().withLuns(TgtTarget.Lun.of(1, 16L << 20)));
        try {
            Processes.signal(frozen.pid(), "STOP");
            long t0 = System.nanoTime();
            Result r;
            try {
                r = LibiscsiSuite.run(LibiscsiSuite.Options.of(frozen.url(1)).withTests("SCSI.TestUnitReady")
                        .withTimeouts(RUN, Duration.ofSeconds(3)).withName("tgt-frozen"));
            } finally {
                Processes.signal(frozen.pid(), "CONT");
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);

            assertThat(r.invocations()).singleElement().satisfies(i -> assertThat(i.stopReason())
                    .hasValueSatisfying(s -> assertThat(s).contains("setup before the first test ran longer than 3 s")));
            assertThat(outcome(r, "SCSI.TestUnitReady.Simple")).isEqualTo(Outcome.NOT_RUN);
            assertThat(took).isLessThan(Duration.ofSeconds(20));
            frozen.close();
            assertThat(frozen.stoppedCleanly()).isTrue();
        } finally {
            frozen.close();
        }
    }

    @Test
    @DisplayName("tgt stops cleanly with a session logged in: no tgtd, no control socket, no LUN files left")
    void stopWithSessionOpen() throws Exception {
        TgtTarget t = TgtTarget.start(TgtTarget.Config.defaults().withLuns(TgtTarget.Lun.of(1, 16L << 20)));
        Path lun = t.lunFile(1);
        Process perf = new ProcessBuilder("iscsi-perf", "-t", "60", t.url(1).toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!t.show().contains("Initiator: ") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(t.show()).as("a session is logged in").contains("Initiator: iqn.2010-11.libiscsi:iscsi-perf");
            long pid = t.pid();
            t.close();

            assertThat(t.stoppedCleanly()).isTrue();
            assertThat(t.isRunning()).isFalse();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(Path.of("/var/run/tgtd/socket." + t.controlPort())).doesNotExist();
            assertThat(lun).doesNotExist();
            // iscsi-perf itself retries the login for ever: it is ours to end.
        } finally {
            perf.destroyForcibly();
            perf.waitFor(10, TimeUnit.SECONDS);
            t.close();
        }
    }

    @Test
    @DisplayName("iscsi-perf against tgt: 2 s of 4 KiB random reads at QD 32, read back by the runner")
    void perfSmoke() throws Exception {
        IscsiPerf.Result r = IscsiPerf.run(IscsiPerf.Options.of(tgt.url(2)).withTransfer(4096, 512).withQueueDepth(32)
                .withRandom(true).withRuntime(Duration.ofSeconds(2)), "tgt-perf-smoke");

        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(r.blockSize()).isEqualTo(512);
        assertThat(r.capacityBlocks()).isEqualTo((128L << 20) / 512);
        assertThat(r.transferBytes()).isEqualTo(4096);
        assertThat(r.inFlight()).isEqualTo(32);
        assertThat(r.random()).isTrue();
        assertThat(r.iops()).isGreaterThan(100);
    }

    private static boolean allZero(Path file) throws IOException {
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != 0) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
