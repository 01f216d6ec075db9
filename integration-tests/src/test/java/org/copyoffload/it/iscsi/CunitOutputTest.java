package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

import org.copyoffload.it.iscsi.CunitOutput.Parsed;
import org.copyoffload.it.iscsi.CunitOutput.Test;
import org.copyoffload.it.iscsi.CunitOutput.Verdict;
import org.junit.jupiter.api.DisplayName;

/** The CUnit reader on real iscsi-test-cu 1.19 output, recorded against Debian's tgt 1.0.85. */
class CunitOutputTest {

    static String resource(String name) {
        try (InputStream in = CunitOutputTest.class.getResourceAsStream("/iscsi/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + name);
            }
            InputStream s = name.endsWith(".gz") ? new GZIPInputStream(in) : in;
            return new String(s.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Test> byName(Parsed p) {
        return p.tests().stream().collect(Collectors.toMap(t -> t.suite() + "." + t.test(), Function.identity()));
    }

    @org.junit.jupiter.api.Test
    @DisplayName("a mixed run: passed, skipped, failed with its assertions, narration, cleanup noise after a verdict")
    void mixedRun() {
        Parsed p = CunitOutput.parse(resource("tgt-mixed.out"));

        assertThat(p.started()).isTrue();
        assertThat(p.preamble()).containsExactly("found matching LU device identifier for all (2) paths");
        assertThat(p.tests()).hasSize(15);
        Map<String, Test> t = byName(p);
        assertThat(t.get("TestUnitReady.Simple").verdict()).isEqualTo(Verdict.PASSED);
        assertThat(t.get("ExtendedCopy.Simple").verdict()).isEqualTo(Verdict.SKIPPED);
        assertThat(t.get("ExtendedCopy.Simple").skipReasons()).containsExactly("EXTENDEDCOPY is not implemented.");
        assertThat(t.get("ExtendedCopy.DescrLimits").skipReasons())
                .containsExactly("RECEIVECOPYRESULT is not implemented.", "RECEIVE_COPY_RESULTS is not implemented.");
        Test datasn = t.get("iSCSIdatasn.iSCSIDataSnInvalid");
        assertThat(datasn.verdict()).isEqualTo(Verdict.FAILED);
        assertThat(datasn.failures()).hasSize(4)
                .first().isEqualTo("test_iscsi_datasn_invalid.c:98  - CU_ASSERT_NOT_EQUAL(ret,0)");
        Test reserve = t.get("Reserve6.2Initiators");
        assertThat(reserve.verdict()).isEqualTo(Verdict.FAILED);
        assertThat(reserve.failures()).containsExactly("test_reserve6_2initiators.c:70  - CU_ASSERT_EQUAL(_r,0)");
        assertThat(reserve.output()).hasSize(11).anyMatch(l -> l.contains("[FAILED] MODESENSE6 successful"));
        // Skip lines followed by a blank line, then the verdict.
        assertThat(t.get("Reserve6.TargetColdReset").verdict()).isEqualTo(Verdict.SKIPPED);
        // "passed" then, on the same line, the suite's cleanup complaining: the test passed.
        Test lunReset = t.get("Reserve6.LUNReset");
        assertThat(lunReset.verdict()).isEqualTo(Verdict.PASSED);
        assertThat(lunReset.output()).isEmpty();
        assertThat(lunReset.after()).hasSize(2).allMatch(l -> l.contains("[FAILED] PRIN command"));

        assertThat(p.summary()).isPresent();
        CunitOutput.Summary s = p.summary().orElseThrow();
        assertThat(s.suites()).isEqualTo(new CunitOutput.Row("suites", 4, 4, -1, 0, 0));
        assertThat(s.tests()).isEqualTo(new CunitOutput.Row("tests", 15, 15, 13, 2, 0));
        assertThat(s.asserts()).isEqualTo(new CunitOutput.Row("asserts", 45, 45, 40, 5, -1));
        assertThat(s.elapsedCpuSeconds()).isEqualTo(0.005);
        assertThat(p.returnValue()).isZero();
        assertThat(p.inconsistencies()).isEmpty();
        assertThat(p.tests().stream().filter(x -> x.verdict() == Verdict.SKIPPED)).hasSize(8);
    }

    @org.junit.jupiter.api.Test
    @DisplayName("the whole ALL suite against tgt: 230 tests read, and CUnit's counts agree with them")
    void wholeSuite() {
        Parsed p = CunitOutput.parse(resource("tgt-all.out.gz"));

        assertThat(p.tests()).hasSize(230);
        assertThat(p.inconsistencies()).isEmpty();
        assertThat(p.summary().orElseThrow().tests()).isEqualTo(new CunitOutput.Row("tests", 230, 230, 221, 9, 0));
        assertThat(p.tests()).noneMatch(t -> t.verdict() == Verdict.NONE);
        assertThat(p.tests().stream().filter(t -> t.verdict() == Verdict.FAILED)).hasSize(9);
        // Of CUnit's 221 "passed", 59 skipped themselves (tgt's reference: 162 passed, 9 failed, 59 skipped).
        assertThat(p.tests().stream().filter(t -> t.verdict() == Verdict.SKIPPED)).hasSize(59);
        assertThat(p.tests().stream().filter(t -> t.suite().equals("ExtendedCopy")))
                .hasSize(6).allMatch(t -> t.verdict() == Verdict.SKIPPED);
        // A test failing thousands of assertions keeps every one of them.
        assertThat(byName(p).get("MultipathIO.CompareAndWriteAsync").failures()).hasSizeGreaterThan(1000);
    }

    @org.junit.jupiter.api.Test
    @DisplayName("a run cut off in the middle of a test: that test has no verdict, no summary, counts not checked")
    void cutOff() {
        String full = resource("tgt-mixed.out");
        String cut = full.substring(0, full.indexOf("    RESERVE6 from the second initiator should still fail"));
        Parsed p = CunitOutput.parse(cut);

        assertThat(p.completed()).isFalse();
        assertThat(p.tests()).hasSize(10);
        assertThat(p.unfinished()).map(Test::test).contains("2Initiators");
        assertThat(p.unfinished().orElseThrow().verdict()).isEqualTo(Verdict.NONE);
        assertThat(p.tests().subList(0, 9)).noneMatch(t -> t.verdict() == Verdict.NONE);
        assertThat(p.inconsistencies()).isEmpty();
    }

    @org.junit.jupiter.api.Test
    @DisplayName("a verdict CUnit counted but the reader missed shows up as an inconsistency")
    void inconsistentCounts() {
        // Break one verdict line: CUnit's summary still says 13 passed.
        String broken = resource("tgt-mixed.out").replaceFirst("  Test: Simple \\.\\.\\.passed", "  Test: Simple ...");
        Parsed p = CunitOutput.parse(broken);

        assertThat(p.inconsistencies()).isNotEmpty()
                .anyMatch(s -> s.contains("passed 13")).anyMatch(s -> s.contains("without a verdict"));
    }

    @org.junit.jupiter.api.Test
    @DisplayName("the tool refusing to start: no banner, its reasons in the preamble")
    void noStart() {
        Parsed mismatch = CunitOutput.parse(resource("multipath-mismatch.out"));
        assertThat(mismatch.started()).isFalse();
        assertThat(mismatch.tests()).isEmpty();
        assertThat(mismatch.preamble()).contains("multipath devices don't match");

        Parsed noTarget = CunitOutput.parse(resource("no-target.out"));
        assertThat(noTarget.started()).isFalse();
        assertThat(noTarget.preamble()).contains("Failed to connect to SCSI device 0");
    }

    @org.junit.jupiter.api.Test
    @DisplayName("a suite whose setup failed: CUnit's warning is kept and its tests are simply absent")
    void suiteInitFailure() {
        // CUnit 2.1-3's wording (Basic.c), in the place it prints it.
        String text = """
                     CUnit - A unit testing framework for C - Version 2.1-3

                Suite: TestUnitReady
                  Test: Simple ...passed
                WARNING - Suite initialization failed for 'Inquiry'.

                Run Summary:    Type  Total    Ran Passed Failed Inactive
                              suites      2      1    n/a      1        0
                               tests      8      1      1      0        0
                             asserts      1      1      1      0      n/a

                Elapsed time =    0.000 seconds
                Tests completed with return value: 0
                """;
        Parsed p = CunitOutput.parse(text);
        assertThat(p.warnings()).containsExactly("Suite initialization failed for 'Inquiry'.");
        assertThat(p.tests()).extracting(Test::verdict).containsExactly(Verdict.PASSED);
        assertThat(p.tests().getFirst().after()).isEmpty();
        assertThat(p.inconsistencies()).isEmpty();
        assertThat(List.of(p.summary().orElseThrow().suites().failed())).containsExactly(1);
    }
}
