package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import org.copyoffload.it.iscsi.LibiscsiSuite.Outcome;
import org.copyoffload.it.iscsi.LibiscsiSuite.Result;
import org.copyoffload.it.iscsi.LibiscsiSuite.TestResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner's watchdog, resume and bookkeeping, driven by a stand-in for iscsi-test-cu: a shell script that lists
 * the real 1.19 catalogue and prints CUnit's verbose output for the tests it is asked for, and can hang, crash or
 * refuse to start on cue. (The real tool against tgt is LibiscsiAgainstTgtTest.)
 */
class LibiscsiSuiteRunnerTest {

    private static final IscsiUrl URL = IscsiUrl.parse("iscsi://127.0.0.1:1/iqn.2026-01.org.copyoffload:none/0");
    private static final String[] SELECTION = {"SCSI.TestUnitReady", "SCSI.ReadCapacity10", "SCSI.Read10"};

    @TempDir
    Path dir;

    /**
     * Writes the stand-in. In its first run (a --test that is not a file) it runs FIRST_RUN_TESTS and may hang or
     * crash at one of them; a resumed run (--test=FILE) runs the file's tests and behaves.
     */
    private Path fake(String hangAt, String crashAt, boolean refuse) throws IOException {
        Path list = dir.resolve("list.txt");
        Files.writeString(list, CunitOutputTest.resource("list-1.19.txt"));
        String script = """
                #!/bin/bash
                T=
                for a in "$@"; do
                  case "$a" in
                    --list) cat '%s'; exit 0 ;;
                    --test=*) T="${a#--test=}" ;;
                  esac
                done
                echo "$*" >> '%s/invocations'
                if %s; then echo "Failed to connect to SCSI device 0" >&2; exit 255; fi
                # A child in the same process group: a timeout must kill it too.
                sleep 600 & echo $! >> '%s/children'
                if [ -f "$T" ]; then NAMES=$(cat "$T"); RESUMED=1; else NAMES="%s"; RESUMED=0; fi
                printf '\\n\\n     CUnit - A unit testing framework for C - Version 2.1-3\\n\\n'
                n=0
                for name in $NAMES; do
                  rest=${name#*.}; suite=${rest%%%%.*}; test=${rest#*.}
                  printf '\\nSuite: %%s' "$suite"
                  printf '\\n  Test: %%s ...' "$test"
                  if [ $RESUMED = 0 ] && [ "$name" = '%s' ]; then sleep 600; fi
                  if [ $RESUMED = 0 ] && [ "$name" = '%s' ]; then kill -SEGV $$; fi
                  printf 'passed'
                  n=$((n+1))
                done
                printf '\\n\\nRun Summary:    Type  Total    Ran Passed Failed Inactive\\n'
                printf '              suites      1      1    n/a      0        0\\n'
                printf '               tests %%6d %%6d %%6d      0        0\\n' $n $n $n
                printf '             asserts %%6d %%6d %%6d      0      n/a\\n' $n $n $n
                printf '\\nElapsed time =    0.000 seconds\\nTests completed with return value: 0\\n'
                kill $! 2>/dev/null
                exit 0
                """.formatted(list, dir, refuse ? "true" : "false", dir,
                String.join(" ", LibiscsiCatalogue.parse(CunitOutputTest.resource("list-1.19.txt"))
                        .expand(String.join(",", List.of(SELECTION).reversed()))),
                hangAt == null ? "-" : hangAt, crashAt == null ? "-" : crashAt);
        Path exe = dir.resolve("fake-iscsi-test-cu");
        Files.writeString(exe, script);
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwx------"));
        return exe;
    }

    private LibiscsiSuite.Options options(Path exe, String name) {
        return LibiscsiSuite.Options.of(URL).withExecutable(exe.toString()).withTests(SELECTION)
                .withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(2)).withName("runner-test-" + name);
    }

    private List<String> invocations() throws IOException {
        return Files.readAllLines(dir.resolve("invocations"));
    }

    /** Every child the stand-in started is gone (or a zombie waiting for init), within a few seconds. */
    private void assertChildrenDead() throws IOException, InterruptedException {
        for (String pid : Files.readAllLines(dir.resolve("children"))) {
            Path stat = Path.of("/proc", pid.strip(), "stat");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (running(stat) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(running(stat)).as("child %s of the tool still running", pid).isFalse();
        }
    }

    private static boolean running(Path stat) {
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private static Outcome outcome(Result r, String name) {
        return r.test(name).map(TestResult::outcome).orElseThrow();
    }

    @Test
    void aCleanRunReportsEverySelectedTestInOrder() throws IOException {
        Result r = LibiscsiSuite.run(options(fake(null, null, false), "clean"));

        assertThat(r.tests()).extracting(TestResult::name).startsWith(
                "SCSI.TestUnitReady.Simple", "SCSI.ReadCapacity10.Simple", "SCSI.Read10.Simple").hasSize(8);
        assertThat(r.tests()).allMatch(t -> t.outcome() == Outcome.PASSED);
        assertThat(r.complete()).isTrue();
        assertThat(r.invocations()).singleElement().satisfies(i -> {
            assertThat(i.exitCode()).isZero();
            assertThat(i.stopReason()).isEmpty();
            assertThat(i.command()).contains("--test=SCSI.Read10,SCSI.ReadCapacity10,SCSI.TestUnitReady",
                    URL.toString()).doesNotContain("--dataloss");
        });
        assertThat(Files.readString(r.logFile())).contains("Run Summary:");
        assertThat(r.logFile().getParent().resolve("runner-test-clean.results.txt")).exists();
    }

    @Test
    void aHungTestIsKilledWithItsProcessGroupAndTheRestRunInANewProcess() throws Exception {
        long t0 = System.nanoTime();
        Result r = LibiscsiSuite.run(options(fake("SCSI.ReadCapacity10.Simple", null, false), "hang"));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(outcome(r, "SCSI.TestUnitReady.Simple")).isEqualTo(Outcome.PASSED);
        assertThat(outcome(r, "SCSI.ReadCapacity10.Simple")).isEqualTo(Outcome.TIMED_OUT);
        assertThat(r.test("SCSI.ReadCapacity10.Simple").orElseThrow().output())
                .anyMatch(l -> l.contains("test ReadCapacity10.Simple ran longer than 2 s"));
        assertThat(r.tests().stream().filter(t -> t.name().startsWith("SCSI.Read10.")))
                .hasSize(6).allMatch(t -> t.outcome() == Outcome.PASSED);
        assertThat(r.invocations()).hasSize(2);
        assertThat(r.invocations().get(0).stopReason()).isPresent();
        assertThat(r.invocations().get(0).exitCode()).isEqualTo(-1);
        assertThat(invocations().get(1)).contains("--test=" + r.logFile().getParent()
                .resolve("runner-test-hang.resume1.tests"));
        assertThat(Files.readAllLines(r.logFile().getParent().resolve("runner-test-hang.resume1.tests")))
                .hasSize(6).allMatch(n -> n.startsWith("SCSI.Read10."));
        assertThat(r.totals().timedOut()).isEqualTo(1);
        assertThat(r.complete()).isFalse();
        assertThat(r.problems()).isEmpty();
        assertChildrenDead();
        assertThat(took).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aCrashAbortsOneTestAndTheRestStillRun() throws Exception {
        Result r = LibiscsiSuite.run(options(fake(null, "SCSI.Read10.BeyondEol", false), "crash"));

        assertThat(outcome(r, "SCSI.Read10.Simple")).isEqualTo(Outcome.PASSED);
        assertThat(outcome(r, "SCSI.Read10.BeyondEol")).isEqualTo(Outcome.ABORTED);
        assertThat(r.test("SCSI.Read10.BeyondEol").orElseThrow().output())
                .anyMatch(l -> l.contains("exited (status 139)"));
        assertThat(outcome(r, "SCSI.Read10.Async")).isEqualTo(Outcome.PASSED);
        assertThat(r.invocations()).hasSize(2);
        assertThat(r.totals()).isEqualTo(new LibiscsiSuite.Totals(7, 0, 0, 0, 1, 0));
        assertChildrenDead();
    }

    @Test
    void theRunTimeoutEndsEverythingWithoutResuming() throws Exception {
        Result r = LibiscsiSuite.run(options(fake("SCSI.ReadCapacity10.Simple", null, false), "runtimeout")
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30)));

        assertThat(outcome(r, "SCSI.ReadCapacity10.Simple")).isEqualTo(Outcome.TIMED_OUT);
        assertThat(r.tests().stream().filter(t -> t.name().startsWith("SCSI.Read10.")))
                .allMatch(t -> t.outcome() == Outcome.NOT_RUN);
        assertThat(r.invocations()).singleElement()
                .satisfies(i -> assertThat(i.stopReason()).hasValueSatisfying(s -> assertThat(s).contains("run timeout")));
        assertChildrenDead();
    }

    @Test
    void noResumeBeyondMaxResumes() throws IOException {
        Result r = LibiscsiSuite.run(options(fake("SCSI.ReadCapacity10.Simple", null, false), "noresume")
                .withMaxResumes(0));

        assertThat(r.invocations()).hasSize(1);
        assertThat(r.totals()).isEqualTo(new LibiscsiSuite.Totals(1, 0, 0, 1, 0, 6));
        assertThat(r.problems()).singleElement().asString().contains("gave up after 1 invocations with 6 tests left");
    }

    @Test
    void aToolThatDoesNotStartIsAProblemAndNothingRuns() throws IOException {
        Result r = LibiscsiSuite.run(options(fake(null, null, true), "refuse"));

        assertThat(r.invocations()).singleElement().satisfies(i -> assertThat(i.exitCode()).isEqualTo(255));
        assertThat(r.tests()).hasSize(8).allMatch(t -> t.outcome() == Outcome.NOT_RUN);
        assertThat(r.problems()).singleElement().asString()
                .contains("stopped before its tests (exit 255)").contains("Failed to connect to SCSI device 0");
        assertThat(r.complete()).isFalse();
    }

    // ------------------------------------------------------------------ a run made elsewhere (a guest)

    /** Output of a run whose tool was killed in SCSI.Read10.BeyondEol, with a skip and a failure before it. */
    private static final String ELSEWHERE = """
            found matching LU device identifier for all (2) paths


                 CUnit - A unit testing framework for C - Version 2.1-3

            Suite: TestUnitReady
              Test: Simple ...passed
            Suite: ReadCapacity10
              Test: Simple ...    [SKIPPED] READCAPACITY10 is not implemented.
            passed
            Suite: Read10
              Test: Simple ...FAILED
                1. test_read10_simple.c:50  - CU_ASSERT_EQUAL(ret,0)
              Test: BeyondEol ...
            """;

    @Test
    void aRunMadeElsewhereIsReadAgainstItsOwnCatalogue() throws IOException {
        LibiscsiCatalogue catalogue = LibiscsiCatalogue.parse(CunitOutputTest.resource("list-1.19.txt"));
        LibiscsiSuite.Options o = LibiscsiSuite.Options.of(URL).withTests(SELECTION).withName("elsewhere");
        Result killed = LibiscsiSuite.fromOutput(o, catalogue, ELSEWHERE, -1, "no output for 180 s",
                Duration.ofSeconds(42));

        assertThat(killed.tests()).extracting(TestResult::name)
                .containsExactlyElementsOf(catalogue.expand("SCSI.Read10,SCSI.ReadCapacity10,SCSI.TestUnitReady"));
        assertThat(outcome(killed, "SCSI.TestUnitReady.Simple")).isEqualTo(Outcome.PASSED);
        assertThat(outcome(killed, "SCSI.ReadCapacity10.Simple")).isEqualTo(Outcome.SKIPPED);
        assertThat(killed.test("SCSI.Read10.Simple").orElseThrow().failures())
                .containsExactly("test_read10_simple.c:50  - CU_ASSERT_EQUAL(ret,0)");
        assertThat(killed.test("SCSI.Read10.BeyondEol").orElseThrow()).satisfies(t -> {
            assertThat(t.outcome()).isEqualTo(Outcome.TIMED_OUT);
            assertThat(t.output()).contains("[harness] no output for 180 s");
        });
        assertThat(killed.totals()).isEqualTo(new LibiscsiSuite.Totals(1, 1, 1, 1, 0, 4));
        assertThat(killed.elapsed()).isEqualTo(Duration.ofSeconds(42));
        assertThat(killed.invocations()).singleElement().satisfies(i -> {
            assertThat(i.command()).first().isEqualTo("iscsi-test-cu");
            assertThat(i.preamble()).contains("found matching LU device identifier for all (2) paths");
        });
        assertThat(Files.readString(killed.logFile())).contains("run elsewhere").contains("Test: Simple ...FAILED");
        assertThat(killed.complete()).isFalse();

        Result died = LibiscsiSuite.fromOutput(o.withName("elsewhere-died"), catalogue, ELSEWHERE, 139, null,
                Duration.ofSeconds(1));
        assertThat(outcome(died, "SCSI.Read10.BeyondEol")).isEqualTo(Outcome.ABORTED);

        Result nothing = LibiscsiSuite.fromOutput(o.withName("elsewhere-nothing"), catalogue,
                "Failed to connect to SCSI device 0\n", 255, null, Duration.ZERO);
        assertThat(nothing.tests()).allMatch(t -> t.outcome() == Outcome.NOT_RUN);
        assertThat(nothing.problems()).singleElement().asString().contains("stopped before its tests (exit 255)");
    }
}
