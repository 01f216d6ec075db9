package org.copyoffload.it.iscsi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what one {@code iscsi-test-cu} process prints in CUnit's basic verbose mode (CUnit 2.1-3, libiscsi 1.19).
 *
 * <p>The shape, as seen against tgt:
 * <pre>
 * found matching LU device identifier for all (2) paths      (libiscsi's own setup, before CUnit's banner)
 *
 *      CUnit - A unit testing framework for C - Version 2.1-3
 *
 * Suite: ExtendedCopy
 *   Test: Simple ...    [SKIPPED] EXTENDEDCOPY is not implemented.      (the test's own lines follow "...")
 *     [SKIPPED] EXTENDEDCOPY is not implemented.
 * passed                                                                 (CUnit's verdict: passed or FAILED)
 *   Test: iSCSIDataSnInvalid ...FAILED
 *     1. test_iscsi_datasn_invalid.c:98  - CU_ASSERT_NOT_EQUAL(ret,0)     (one line per failed assertion)
 *
 * Run Summary:    Type  Total    Ran Passed Failed Inactive
 *               suites     51     51    n/a      0        0
 *                tests    230    230    221      9        0
 *              asserts  67234  67234  63223   4011      n/a
 *
 * Elapsed time =    4.249 seconds                                        (CPU time, not wall time)
 * Tests completed with return value: 0
 * </pre>
 *
 * <p>CUnit counts a test that skipped itself as passed: libiscsi's tests skip by printing a {@code [SKIPPED]} line
 * and returning, so a passed test with such a line is {@link Verdict#SKIPPED} here. A test with no verdict is
 * one the process did not finish (killed, or it died): {@link Verdict#NONE}.
 */
public final class CunitOutput {

    /** CUnit's verdict on one test, with libiscsi's skip made visible. */
    public enum Verdict {
        PASSED, FAILED, SKIPPED, NONE
    }

    /**
     * One test as printed.
     *
     * @param suite    the suite's name (no family: CUnit does not print it)
     * @param test     the test's name
     * @param verdict  the verdict
     * @param failures the failed assertions, {@code file.c:LINE  - CONDITION}, without CUnit's numbering
     * @param output   what the test printed before its verdict (its {@code [SKIPPED]} lines among them)
     * @param after    what came after the verdict and its failure list, before the next test (a suite's setup or
     *                 cleanup noise; not part of the verdict)
     */
    public record Test(String suite, String test, Verdict verdict, List<String> failures, List<String> output,
                       List<String> after) {
        public Test {
            failures = List.copyOf(failures);
            output = List.copyOf(output);
            after = List.copyOf(after);
        }

        /** The reasons the test gave for skipping, {@code [SKIPPED]} stripped, without repeats. */
        public List<String> skipReasons() {
            return output.stream()
                    .filter(l -> l.contains(SKIPPED_TAG))
                    .map(l -> l.substring(l.indexOf(SKIPPED_TAG) + SKIPPED_TAG.length()).strip())
                    .distinct()
                    .toList();
        }
    }

    /**
     * One row of CUnit's run summary.
     *
     * @param type     suites, tests or asserts
     * @param total    registered
     * @param ran      run
     * @param passed   passed; -1 where CUnit prints n/a (suites)
     * @param failed   failed
     * @param inactive inactive; -1 where CUnit prints n/a (asserts)
     */
    public record Row(String type, int total, int ran, int passed, int failed, int inactive) {
    }

    /** CUnit's run summary: three rows and the elapsed CPU seconds. */
    public record Summary(Row suites, Row tests, Row asserts, double elapsedCpuSeconds) {
    }

    /**
     * One process's output, read.
     *
     * @param preamble       lines before CUnit's banner (libiscsi's setup: multipath checks, connection errors)
     * @param started        whether CUnit's banner was printed (the tool got past its setup)
     * @param tests          the tests, in the order they ran
     * @param warnings       CUnit's {@code WARNING - ...} lines (a suite whose initialization or cleanup failed)
     * @param summary        the run summary; empty when the process ended before printing it
     * @param returnValue    {@code Tests completed with return value: N}; -1 when absent
     */
    public record Parsed(List<String> preamble, boolean started, List<Test> tests, List<String> warnings,
                         Optional<Summary> summary, int returnValue) {
        public Parsed {
            preamble = List.copyOf(preamble);
            tests = List.copyOf(tests);
            warnings = List.copyOf(warnings);
        }

        /** Whether CUnit got to its summary. */
        public boolean completed() {
            return summary.isPresent();
        }

        /** The last test when it has no verdict (the one running when the process stopped). */
        public Optional<Test> unfinished() {
            return tests.isEmpty() || tests.getLast().verdict() != Verdict.NONE
                    ? Optional.empty() : Optional.of(tests.getLast());
        }

        /**
         * Whether CUnit's own counts agree with the tests read: tests ran, passed (passed + skipped here) and
         * failed. Empty when there is nothing to compare, else the disagreements.
         */
        public List<String> inconsistencies() {
            List<String> out = new ArrayList<>();
            if (summary.isEmpty()) {
                return out;
            }
            Row t = summary.get().tests();
            long passed = tests.stream().filter(x -> x.verdict() == Verdict.PASSED || x.verdict() == Verdict.SKIPPED).count();
            long failed = tests.stream().filter(x -> x.verdict() == Verdict.FAILED).count();
            long none = tests.stream().filter(x -> x.verdict() == Verdict.NONE).count();
            if (t.ran() != tests.size()) {
                out.add("CUnit ran " + t.ran() + " tests, " + tests.size() + " read");
            }
            if (t.passed() != passed) {
                out.add("CUnit passed " + t.passed() + " tests, " + passed + " read as passed or skipped");
            }
            if (t.failed() != failed) {
                out.add("CUnit failed " + t.failed() + " tests, " + failed + " read as failed");
            }
            if (none != 0) {
                out.add(none + " tests without a verdict before the summary");
            }
            return out;
        }
    }

    static final String SKIPPED_TAG = "[SKIPPED]";

    private static final String BANNER = "CUnit - A unit testing framework for C";
    private static final Pattern SUITE = Pattern.compile("^Suite: (.*)$");
    private static final Pattern TEST = Pattern.compile("^  Test: (\\S+) \\.\\.\\.(.*)$");
    private static final Pattern WARNING = Pattern.compile("^WARNING - (.*)$");
    private static final Pattern VERDICT = Pattern.compile("^(passed|FAILED)(.*)$");
    private static final Pattern FAILURE = Pattern.compile("^\\s+\\d+\\. (.*)$");
    private static final Pattern ROW = Pattern.compile(
            "^\\s*(suites|tests|asserts)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+|n/a)\\s+(\\d+)\\s+(\\d+|n/a)\\s*$");
    private static final Pattern ELAPSED = Pattern.compile("^Elapsed time =\\s*([0-9.]+) seconds\\s*$");
    private static final Pattern RETURN = Pattern.compile("^Tests completed with return value: (-?\\d+)\\s*$");

    private CunitOutput() {
    }

    /** Reads one process's output (stdout and stderr together, as the runner logs them). */
    public static Parsed parse(String text) {
        String[] lines = text.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1);
        List<String> preamble = new ArrayList<>();
        List<Test> tests = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        boolean started = false;
        String suite = null;
        String openName = null;
        List<String> body = null;
        Row[] rows = new Row[3];
        boolean inSummary = false;
        double elapsed = -1;
        int returnValue = -1;

        for (String raw : lines) {
            String line = stripTrailing(raw);
            if (!started) {
                if (line.contains(BANNER)) {
                    started = true;
                } else if (!line.isBlank()) {
                    preamble.add(line);
                }
                continue;
            }
            Matcher m;
            if ((m = SUITE.matcher(line)).matches()) {
                openName = close(tests, suite, openName, body);
                body = null;
                suite = m.group(1);
            } else if ((m = TEST.matcher(line)).matches()) {
                openName = close(tests, suite, openName, body);
                openName = m.group(1);
                body = new ArrayList<>();
                body.add(m.group(2));
            } else if ((m = WARNING.matcher(line)).matches()) {
                // Only between tests: a suite's setup or cleanup failed, after the previous test's verdict.
                openName = close(tests, suite, openName, body);
                body = null;
                warnings.add(m.group(1));
            } else if (line.startsWith("Run Summary:")) {
                openName = close(tests, suite, openName, body);
                body = null;
                inSummary = true;
            } else if (inSummary && (m = ROW.matcher(line)).matches()) {
                Row r = new Row(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                        number(m.group(4)), Integer.parseInt(m.group(5)), number(m.group(6)));
                rows[switch (r.type()) {
                    case "suites" -> 0;
                    case "tests" -> 1;
                    default -> 2;
                }] = r;
            } else if ((m = ELAPSED.matcher(line)).matches()) {
                elapsed = Double.parseDouble(m.group(1));
            } else if ((m = RETURN.matcher(line)).matches()) {
                returnValue = Integer.parseInt(m.group(1));
            } else if (body != null) {
                body.add(line);
            }
        }
        close(tests, suite, openName, body);
        Optional<Summary> summary = rows[0] != null && rows[1] != null && rows[2] != null
                ? Optional.of(new Summary(rows[0], rows[1], rows[2], elapsed)) : Optional.empty();
        return new Parsed(preamble, started, tests, warnings, summary, returnValue);
    }

    /** Ends the open test, if any, and adds it; returns null (no test open). */
    private static String close(List<Test> tests, String suite, String name, List<String> body) {
        if (name == null || body == null) {
            return null;
        }
        // Drop blank lines at the end: CUnit starts each test with "\n", so the last one has trailing blanks.
        while (!body.isEmpty() && body.getLast().isBlank()) {
            body.removeLast();
        }
        // CUnit prints its verdict right after the test's last output line, which libiscsi always ends with a
        // newline and indents by four spaces: so the verdict starts a line (or follows "Test: NAME ..." directly).
        // What follows it on the same line is a suite's cleanup or setup talking, not the test.
        int verdictAt = -1;
        Verdict verdict = Verdict.NONE;
        String tail = "";
        for (int i = 0; i < body.size() && verdictAt < 0; i++) {
            Matcher m = VERDICT.matcher(body.get(i));
            if (m.matches()) {
                verdictAt = i;
                verdict = m.group(1).equals("passed") ? Verdict.PASSED : Verdict.FAILED;
                tail = m.group(2);
            }
        }
        // A verdict glued to the end of an output line is not looked for: a test killed mid-way may well have
        // printed a line that ends in "passed", and CUnit's own counts (Parsed.inconsistencies) catch a miss.
        List<String> output = new ArrayList<>(verdictAt < 0 ? body : body.subList(0, verdictAt));
        List<String> failures = new ArrayList<>();
        List<String> after = new ArrayList<>();
        if (verdictAt >= 0) {
            if (!tail.isBlank()) {
                after.add(tail);
            }
            int i = verdictAt + 1;
            if (verdict == Verdict.FAILED) {
                for (; i < body.size(); i++) {
                    Matcher m = FAILURE.matcher(body.get(i));
                    if (!m.matches()) {
                        break;
                    }
                    failures.add(m.group(1));
                }
            }
            after.addAll(body.subList(i, body.size()));
        }
        output.removeIf(String::isBlank);
        after.removeIf(String::isBlank);
        if (verdict == Verdict.PASSED && output.stream().anyMatch(l -> l.contains(SKIPPED_TAG))) {
            verdict = Verdict.SKIPPED;
        }
        tests.add(new Test(suite == null ? "?" : suite, name, verdict, failures, output, after));
        return null;
    }

    private static int number(String s) {
        return s.equals("n/a") ? -1 : Integer.parseInt(s);
    }

    private static String stripTrailing(String s) {
        return s.stripTrailing();
    }
}
