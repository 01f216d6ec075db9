package org.copyoffload.it.iscsi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs libiscsi's SCSI conformance suite, {@code iscsi-test-cu} (Debian's libiscsi-bin 1.19), on this host against
 * an iSCSI logical unit, and reads its output into one result per test.
 *
 * <pre>{@code
 * LibiscsiSuite.Result r = LibiscsiSuite.run(LibiscsiSuite.Options.of(url)
 *         .withTests("SCSI.ExtendedCopy", "SCSI.ReceiveCopyResults")
 *         .withDataloss(true)
 *         .withName("xcopy-ours"));
 * r.totals("SCSI.ExtendedCopy");      // passed / failed / skipped / ...
 * }</pre>
 *
 * <p>What the runner adds to the bare tool:
 * <ul>
 *   <li>the tool's output is unbuffered ({@code stdbuf -o0}) and logged as it comes to
 *       {@code target/iscsi-logs/NAME.log}; a per-test watchdog follows CUnit's {@code Test: NAME ...} lines and
 *       kills the process group of a test that runs longer than {@link Options#testTimeout()}; the whole run is
 *       bounded by {@link Options#runTimeout()};</li>
 *   <li>after a test hangs or the process dies mid-run, the tests that did not run yet are run by a new process
 *       (at most {@link Options#maxResumes()} times), so one hang does not hide the rest of the suite;</li>
 *   <li>CUnit counts a skipped test as passed: here a test that printed {@code [SKIPPED]} is
 *       {@link Outcome#SKIPPED}; a test that never reported is {@link Outcome#TIMED_OUT}, {@link Outcome#ABORTED} or
 *       {@link Outcome#NOT_RUN}, so nothing silently drops out of the totals;</li>
 *   <li>every test is named {@code FAMILY.SUITE.TEST} from the tool's own catalogue ({@code --list}), tests
 *       selected through {@code ALL} by their own family ({@code SCSI} or {@code iSCSI}).</li>
 * </ul>
 */
public final class LibiscsiSuite {

    /** What became of one test. */
    public enum Outcome {
        /** CUnit passed it and it printed no {@code [SKIPPED]} line. */
        PASSED,
        /** At least one CUnit assertion failed. */
        FAILED,
        /** CUnit passed it, but it skipped itself ({@code [SKIPPED]}: a command not implemented, no --dataloss...). */
        SKIPPED,
        /** It was running when a timeout killed the tool. */
        TIMED_OUT,
        /** It was running when the tool died by itself (crash, exit). */
        ABORTED,
        /** Selected but never started (the tool died or timed out first, or its suite's setup failed). */
        NOT_RUN
    }

    /**
     * One test's result.
     *
     * @param name     {@code FAMILY.SUITE.TEST}
     * @param outcome  what became of it
     * @param failures failed assertions ({@code file.c:LINE  - CONDITION})
     * @param output   what it printed before its verdict ({@code [SKIPPED]} reasons, its own narration)
     */
    public record TestResult(String name, Outcome outcome, List<String> failures, List<String> output) {
        public TestResult {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(outcome, "outcome");
            failures = List.copyOf(failures);
            output = List.copyOf(output);
        }

        /** {@code FAMILY.SUITE}: the group the tables total by (e.g. {@code SCSI.ExtendedCopy}). */
        public String group() {
            return name.substring(0, name.lastIndexOf('.'));
        }

        /** The reasons it gave for skipping, without repeats. */
        public List<String> skipReasons() {
            return output.stream()
                    .filter(l -> l.contains(CunitOutput.SKIPPED_TAG))
                    .map(l -> l.substring(l.indexOf(CunitOutput.SKIPPED_TAG) + CunitOutput.SKIPPED_TAG.length()).strip())
                    .distinct()
                    .toList();
        }

        /** One line for a table: the first failure, else the first skip reason, else empty. */
        public String note() {
            if (!failures.isEmpty()) {
                return failures.getFirst() + (failures.size() > 1 ? " (+" + (failures.size() - 1) + " more)" : "");
            }
            List<String> skips = skipReasons();
            return skips.isEmpty() ? "" : skips.getFirst();
        }
    }

    /** Counts of outcomes. */
    public record Totals(int passed, int failed, int skipped, int timedOut, int aborted, int notRun) {

        public static Totals of(Collection<TestResult> tests) {
            int[] n = new int[Outcome.values().length];
            tests.forEach(t -> n[t.outcome().ordinal()]++);
            return new Totals(n[0], n[1], n[2], n[3], n[4], n[5]);
        }

        public int total() {
            return passed + failed + skipped + timedOut + aborted + notRun;
        }

        /** Tests that did not report a verdict: timed out, aborted or not run. */
        public int unfinished() {
            return timedOut + aborted + notRun;
        }

        @Override
        public String toString() {
            String s = passed + " passed, " + failed + " failed, " + skipped + " skipped";
            if (unfinished() > 0) {
                s += ", " + timedOut + " timed out, " + aborted + " aborted, " + notRun + " not run";
            }
            return s + " (" + total() + " tests)";
        }
    }

    /**
     * One process of a run.
     *
     * @param command         the command line
     * @param exitCode        its exit status (-1 when it was killed)
     * @param stopReason      why the runner killed it; empty when it exited by itself
     * @param summary         CUnit's run summary, when it printed one
     * @param preamble        what it printed before CUnit's banner (setup messages, connection errors)
     * @param warnings        CUnit's warnings (failed suite setup or cleanup)
     * @param inconsistencies disagreements between CUnit's counts and the tests read (see
     *                        {@link CunitOutput.Parsed#inconsistencies()})
     * @param elapsed         wall time
     */
    public record Invocation(List<String> command, int exitCode, Optional<String> stopReason,
                             Optional<CunitOutput.Summary> summary, List<String> preamble, List<String> warnings,
                             List<String> inconsistencies, Duration elapsed) {
        public Invocation {
            command = List.copyOf(command);
            preamble = List.copyOf(preamble);
            warnings = List.copyOf(warnings);
            inconsistencies = List.copyOf(inconsistencies);
        }
    }

    /**
     * A whole run.
     *
     * @param name        the run's name (its log is {@code NAME.log})
     * @param options     what was asked
     * @param tests       one result per selected test, in the tool's order, then any test the tool ran that the
     *                    selection did not predict
     * @param invocations the processes, in order (more than one after a hang or crash)
     * @param problems    what went wrong with the run itself (not with the target): a tool that did not start,
     *                    counts that disagree, tests nobody expected
     * @param logFile     the tool's output, as it came
     * @param elapsed     wall time of the whole run
     */
    public record Result(String name, Options options, List<TestResult> tests, List<Invocation> invocations,
                         List<String> problems, Path logFile, Duration elapsed) {
        public Result {
            tests = List.copyOf(tests);
            invocations = List.copyOf(invocations);
            problems = List.copyOf(problems);
        }

        public Totals totals() {
            return Totals.of(tests);
        }

        /** Totals of the tests named {@code prefix} or {@code prefix.*} (a family, {@code FAMILY.SUITE}, or a test). */
        public Totals totals(String prefix) {
            return Totals.of(tests.stream()
                    .filter(t -> t.name().equals(prefix) || t.name().startsWith(prefix + "."))
                    .toList());
        }

        /** Totals per {@code FAMILY.SUITE}, in the order the suites ran. */
        public Map<String, Totals> bySuite() {
            Map<String, List<TestResult>> groups = new LinkedHashMap<>();
            tests.forEach(t -> groups.computeIfAbsent(t.group(), g -> new ArrayList<>()).add(t));
            Map<String, Totals> out = new LinkedHashMap<>();
            groups.forEach((g, ts) -> out.put(g, Totals.of(ts)));
            return Collections.unmodifiableMap(out);
        }

        public Optional<TestResult> test(String name) {
            return tests.stream().filter(t -> t.name().equals(name)).findFirst();
        }

        /** Every selected test got a verdict, and the run itself had no problem. */
        public boolean complete() {
            return problems.isEmpty() && totals().unfinished() == 0;
        }

        /** Several lines for an assertion message or a report. */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append("libiscsi run ").append(name).append(" against ").append(options.url())
                    .append(": ").append(totals()).append(" in ").append(elapsed.toMillis() / 1000.0).append(" s, log ")
                    .append(logFile).append('\n');
            problems.forEach(p -> sb.append("  problem: ").append(p).append('\n'));
            for (TestResult t : tests) {
                if (t.outcome() != Outcome.PASSED) {
                    sb.append("  ").append(t.outcome()).append(' ').append(t.name());
                    String note = t.note();
                    sb.append(note.isEmpty() ? "" : ": " + note).append('\n');
                }
            }
            return sb.toString();
        }
    }

    /**
     * How to run.
     *
     * @param url            the logical unit under test
     * @param multipathUrl   a second path to the SAME logical unit, or null. In libiscsi 1.19 the second URL is a
     *                       multipath device: the tool compares the two LUs' identifiers and refuses to run when
     *                       they differ ("multipath devices don't match"), so it cannot name a second LU. With it,
     *                       the MultipathIO suite runs instead of skipping; the second session logs in as
     *                       {@code initiatorName2}.
     * @param tests          selectors ({@code FAMILY[.SUITE[.TEST]]}, fnmatch patterns), run in this order
     * @param dataloss       {@code --dataloss}: allow the tests that write (every write test skips without it)
     * @param allowSanitize  {@code --allow-sanitize}
     * @param initiatorName  {@code --initiator-name}, or null for the tool's default
     * @param initiatorName2 {@code --initiator-name-2} (reservation tests, the multipath session), or null
     * @param runTimeout     bound on the whole run, resumes included
     * @param testTimeout    bound on one test (from its {@code Test:} line to the next one); also bounds the tool's
     *                       setup before the first test
     * @param maxResumes     how many times to start the tool again after a hang or crash, for the tests not yet run
     * @param name           the run's name: its log is {@code NAME.log} in {@link IscsiLogs#dir()}
     * @param executable     the tool ({@code iscsi-test-cu} on PATH by default)
     */
    public record Options(IscsiUrl url, IscsiUrl multipathUrl, List<String> tests, boolean dataloss,
                          boolean allowSanitize, String initiatorName, String initiatorName2, Duration runTimeout,
                          Duration testTimeout, int maxResumes, String name, String executable) {

        public Options {
            Objects.requireNonNull(url, "url");
            tests = List.copyOf(tests);
            if (tests.isEmpty() || tests.stream().anyMatch(t -> t.isBlank() || t.contains(","))) {
                throw new IllegalArgumentException("selectors must be non-empty and without commas: " + tests);
            }
            Objects.requireNonNull(runTimeout, "runTimeout");
            Objects.requireNonNull(testTimeout, "testTimeout");
            if (maxResumes < 0) {
                throw new IllegalArgumentException("maxResumes < 0");
            }
            name = IscsiLogs.sanitize(Objects.requireNonNull(name, "name"));
            Objects.requireNonNull(executable, "executable");
        }

        /** Every test ({@code ALL}), no data loss, tool's initiator names, 30 min per run, 3 min per test. */
        public static Options of(IscsiUrl url) {
            return new Options(url, null, List.of("ALL"), false, false, null, null, Duration.ofMinutes(30),
                    Duration.ofMinutes(3), 10, "libiscsi", "iscsi-test-cu");
        }

        public Options withMultipathUrl(IscsiUrl u) {
            return new Options(url, u, tests, dataloss, allowSanitize, initiatorName, initiatorName2, runTimeout,
                    testTimeout, maxResumes, name, executable);
        }

        public Options withTests(String... selectors) {
            return new Options(url, multipathUrl, List.of(selectors), dataloss, allowSanitize, initiatorName,
                    initiatorName2, runTimeout, testTimeout, maxResumes, name, executable);
        }

        public Options withDataloss(boolean on) {
            return new Options(url, multipathUrl, tests, on, allowSanitize, initiatorName, initiatorName2, runTimeout,
                    testTimeout, maxResumes, name, executable);
        }

        public Options withAllowSanitize(boolean on) {
            return new Options(url, multipathUrl, tests, dataloss, on, initiatorName, initiatorName2, runTimeout,
                    testTimeout, maxResumes, name, executable);
        }

        public Options withInitiatorNames(String first, String second) {
            return new Options(url, multipathUrl, tests, dataloss, allowSanitize, first, second, runTimeout,
                    testTimeout, maxResumes, name, executable);
        }

        public Options withTimeouts(Duration run, Duration perTest) {
            return new Options(url, multipathUrl, tests, dataloss, allowSanitize, initiatorName, initiatorName2, run,
                    perTest, maxResumes, name, executable);
        }

        public Options withMaxResumes(int n) {
            return new Options(url, multipathUrl, tests, dataloss, allowSanitize, initiatorName, initiatorName2,
                    runTimeout, testTimeout, n, name, executable);
        }

        public Options withName(String n) {
            return new Options(url, multipathUrl, tests, dataloss, allowSanitize, initiatorName, initiatorName2,
                    runTimeout, testTimeout, maxResumes, n, executable);
        }

        public Options withExecutable(String exe) {
            return new Options(url, multipathUrl, tests, dataloss, allowSanitize, initiatorName, initiatorName2,
                    runTimeout, testTimeout, maxResumes, name, exe);
        }

        /**
         * The {@code --test} value: the selectors joined by commas, last first, because the tool registers a comma
         * list from its end.
         */
        String selector() {
            List<String> r = new ArrayList<>(tests);
            Collections.reverse(r);
            return String.join(",", r);
        }
    }

    /** CUnit's "Suite: S" and "  Test: T ..." lines, as the watchdog follows them. */
    private static final Pattern PROGRESS = Pattern.compile("\nSuite: (\\S+)|\n  Test: (\\S+) \\.\\.\\.");
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Map<String, LibiscsiCatalogue> CATALOGUES = new ConcurrentHashMap<>();

    private LibiscsiSuite() {
    }

    /** {@code iscsi-test-cu --list} of the default executable (read once per JVM). */
    public static LibiscsiCatalogue catalogue() {
        return catalogue("iscsi-test-cu");
    }

    /** {@code EXE --list} (read once per JVM and executable). */
    public static LibiscsiCatalogue catalogue(String executable) {
        return CATALOGUES.computeIfAbsent(executable, exe -> {
            Processes.Done d = Processes.run(List.of(exe, "--list"), Duration.ofSeconds(60));
            if (!d.ok()) {
                throw new IllegalStateException(exe + " --list failed (exit " + d.exitCode()
                        + (d.timedOut() ? ", timed out" : "") + "): " + d.output().strip()
                        + " (Debian: apt-get install libiscsi-bin)");
            }
            return LibiscsiCatalogue.parse(d.output());
        });
    }

    /** Runs the suite as {@code options} say; never throws for what the target does, only for a broken harness. */
    public static Result run(Options options) {
        LibiscsiCatalogue catalogue = catalogue(options.executable());
        String selector = options.selector();
        List<String> expected = catalogue.expand(selector);
        if (expected.isEmpty()) {
            throw new IllegalArgumentException("--test=" + selector + " selects no test of " + options.executable());
        }
        Path dir = IscsiLogs.dir();
        Path log = dir.resolve(options.name() + ".log");
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(log);
            Files.writeString(log, "# LibiscsiSuite " + options.name() + ": " + expected.size() + " tests of --test="
                    + selector + " against " + options.url() + "\n");
            return runLogged(options, catalogue, selector, expected, dir, log);
        } catch (IOException e) {
            throw new UncheckedIOException("libiscsi run " + options.name() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during libiscsi run " + options.name(), e);
        }
    }

    private static Result runLogged(Options o, LibiscsiCatalogue catalogue, String selector, List<String> expected,
                                    Path dir, Path log) throws IOException, InterruptedException {
        Instant t0 = Instant.now();
        long deadline = System.nanoTime() + o.runTimeout().toNanos();
        TestResult[] slots = new TestResult[expected.size()];
        List<TestResult> extras = new ArrayList<>();
        List<Invocation> invocations = new ArrayList<>();
        List<String> problems = new ArrayList<>();

        for (int attempt = 0; ; attempt++) {
            List<Integer> remaining = new ArrayList<>();
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] == null) {
                    remaining.add(i);
                }
            }
            String testArg = selector;
            if (attempt > 0) {
                // The tool reads a --test argument that names an existing file as a list, one selector a line.
                Path list = dir.resolve(o.name() + ".resume" + attempt + ".tests");
                Files.write(list, remaining.stream().map(expected::get).toList());
                testArg = list.toString();
            }
            List<String> command = command(o, testArg);
            Files.writeString(log, "\n# ---- invocation " + (attempt + 1) + ": " + String.join(" ", command) + "\n",
                    StandardOpenOption.APPEND);
            long from = Files.size(log);
            Watched w = watch(command, log, from, deadline, o.testTimeout());
            CunitOutput.Parsed parsed = absorb(read(log, from), w, command, selector, expected, slots, extras,
                    invocations, problems);

            long left = 0;
            for (TestResult s : slots) {
                left += s == null ? 1 : 0;
            }
            boolean progressed = !parsed.tests().isEmpty();
            boolean interrupted = w.stopReason() != null || !parsed.completed();
            boolean timeLeft = System.nanoTime() < deadline;
            if (left == 0 || !interrupted || !progressed || !timeLeft || attempt >= o.maxResumes()) {
                if (left > 0 && !interrupted && parsed.warnings().isEmpty()) {
                    problems.add(left + " selected tests were not reported by a run that completed (catalogue and "
                            + "tool disagree?)");
                }
                if (left > 0 && interrupted && progressed && attempt >= o.maxResumes()) {
                    problems.add("gave up after " + (attempt + 1) + " invocations with " + left + " tests left");
                }
                break;
            }
        }

        return finish(o, expected, slots, extras, invocations, problems, log, Duration.between(t0, Instant.now()));
    }

    /**
     * Reads a run made elsewhere, e.g. inside a guest whose libiscsi is another version than this host's: the
     * output of one {@code iscsi-test-cu --verbose} process, as it printed it, against the catalogue of that same
     * tool's {@code --list}. Tests the output does not report are {@link Outcome#NOT_RUN}; the one that was running
     * when the output ends is {@link Outcome#TIMED_OUT} when {@code stopReason} says why it was killed, else
     * {@link Outcome#ABORTED}. The output is copied to {@code IscsiLogs.dir()/NAME.log}, as a run here logs it.
     *
     * @param options    what the tool was asked ({@link Options#url()}, selectors, flags: for tables and counts)
     * @param catalogue  the tool's own {@code --list}
     * @param output     what it printed (stdout and stderr)
     * @param exitCode   its exit status (-1 when killed)
     * @param stopReason why a watchdog killed it, or null when it exited by itself
     * @param elapsed    wall time it ran
     */
    public static Result fromOutput(Options options, LibiscsiCatalogue catalogue, String output, int exitCode,
                                    String stopReason, Duration elapsed) {
        String selector = options.selector();
        List<String> expected = catalogue.expand(selector);
        if (expected.isEmpty()) {
            throw new IllegalArgumentException("--test=" + selector + " selects no test of the catalogue given");
        }
        Path dir = IscsiLogs.dir();
        Path log = dir.resolve(options.name() + ".log");
        try {
            Files.createDirectories(dir);
            List<String> command = toolCommand(options, selector);
            Files.writeString(log, "# LibiscsiSuite " + options.name() + ": " + expected.size() + " tests of --test="
                    + selector + " against " + options.url() + ", run elsewhere\n# ---- invocation 1: "
                    + String.join(" ", command) + "\n" + output);
            TestResult[] slots = new TestResult[expected.size()];
            List<TestResult> extras = new ArrayList<>();
            List<Invocation> invocations = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            CunitOutput.Parsed parsed = absorb(output, new Watched(exitCode, stopReason, elapsed), command, selector,
                    expected, slots, extras, invocations, problems);
            long left = java.util.Arrays.stream(slots).filter(Objects::isNull).count();
            if (left > 0 && stopReason == null && parsed.completed() && parsed.warnings().isEmpty()) {
                problems.add(left + " selected tests were not reported by a run that completed (catalogue and "
                        + "tool disagree?)");
            }
            return finish(options, expected, slots, extras, invocations, problems, log, elapsed);
        } catch (IOException e) {
            throw new UncheckedIOException("libiscsi output " + options.name() + " unreadable", e);
        }
    }

    /**
     * Puts what one invocation reported into the slots of the tests it ran (a test the selection does not predict
     * goes to {@code extras}, as a problem), and records the invocation.
     */
    private static CunitOutput.Parsed absorb(String text, Watched w, List<String> command, String selector,
                                             List<String> expected, TestResult[] slots, List<TestResult> extras,
                                             List<Invocation> invocations, List<String> problems) {
        CunitOutput.Parsed parsed = CunitOutput.parse(text);

        for (CunitOutput.Test t : parsed.tests()) {
            Outcome outcome = switch (t.verdict()) {
                case PASSED -> Outcome.PASSED;
                case FAILED -> Outcome.FAILED;
                case SKIPPED -> Outcome.SKIPPED;
                case NONE -> w.stopReason() != null ? Outcome.TIMED_OUT : Outcome.ABORTED;
            };
            List<String> output = new ArrayList<>(t.output());
            if (t.verdict() == CunitOutput.Verdict.NONE) {
                output.add(w.stopReason() != null ? "[harness] " + w.stopReason()
                        : "[harness] the tool exited (status " + w.exitCode() + ") during this test");
            }
            int slot = -1;
            for (int i = 0; i < slots.length; i++) {
                String[] p = LibiscsiCatalogue.split(expected.get(i));
                if (slots[i] == null && p[1].equals(t.suite()) && p[2].equals(t.test())) {
                    slot = i;
                    break;
                }
            }
            if (slot >= 0) {
                slots[slot] = new TestResult(expected.get(slot), outcome, t.failures(), output);
            } else {
                String name = "?." + t.suite() + "." + t.test();
                problems.add("the tool ran " + name + ", which --test=" + selector + " does not select");
                extras.add(new TestResult(name, outcome, t.failures(), output));
            }
        }
        parsed.inconsistencies().forEach(s -> problems.add("invocation " + (invocations.size() + 1) + ": " + s));
        if (!parsed.started()) {
            problems.add("invocation " + (invocations.size() + 1) + ": iscsi-test-cu stopped before its tests (exit "
                    + w.exitCode() + (w.stopReason() != null ? ", " + w.stopReason() : "") + "): "
                    + String.join(" | ", parsed.preamble()));
        }
        invocations.add(new Invocation(command, w.exitCode(), Optional.ofNullable(w.stopReason()),
                parsed.summary(), parsed.preamble(), parsed.warnings(), parsed.inconsistencies(), w.elapsed()));
        return parsed;
    }

    /** One result per expected test (NOT_RUN where none came), then the extras; written beside the log. */
    private static Result finish(Options o, List<String> expected, TestResult[] slots, List<TestResult> extras,
                                 List<Invocation> invocations, List<String> problems, Path log, Duration elapsed)
            throws IOException {
        List<TestResult> tests = new ArrayList<>();
        for (int i = 0; i < slots.length; i++) {
            tests.add(slots[i] != null ? slots[i]
                    : new TestResult(expected.get(i), Outcome.NOT_RUN, List.of(), List.of()));
        }
        tests.addAll(extras);
        Result r = new Result(o.name(), o, tests, invocations, problems, log, elapsed);
        writeResults(log.resolveSibling(o.name() + ".results.txt"), r);
        System.out.println("[LibiscsiSuite] " + o.name() + ": " + r.totals() + " in "
                + r.elapsed().toMillis() / 1000.0 + " s (" + invocations.size() + " invocation"
                + (invocations.size() == 1 ? "" : "s") + "), log " + log);
        return r;
    }

    static List<String> command(Options o, String testArg) {
        List<String> c = new ArrayList<>();
        if (Processes.onPath("stdbuf")) {
            // Unbuffered: the watchdog sees each "Test:" line as it starts, and a killed run loses nothing.
            c.addAll(List.of("stdbuf", "-o0", "-e0"));
        }
        c.addAll(toolCommand(o, testArg));
        return c;
    }

    /** The tool's own command line for {@code options} (no wrapper), e.g. to run it in a guest. */
    public static List<String> toolCommand(Options o) {
        return toolCommand(o, o.selector());
    }

    private static List<String> toolCommand(Options o, String testArg) {
        List<String> c = new ArrayList<>();
        c.add(o.executable());
        c.add("--verbose");
        if (o.initiatorName() != null) {
            c.add("--initiator-name=" + o.initiatorName());
        }
        if (o.initiatorName2() != null) {
            c.add("--initiator-name-2=" + o.initiatorName2());
        }
        c.add("--test=" + testArg);
        if (o.dataloss()) {
            c.add("--dataloss");
        }
        if (o.allowSanitize()) {
            c.add("--allow-sanitize");
        }
        c.add(o.url().toString());
        if (o.multipathUrl() != null) {
            c.add(o.multipathUrl().toString());
        }
        return c;
    }

    private record Watched(int exitCode, String stopReason, Duration elapsed) {
    }

    /** Runs {@code command} with its output appended to {@code log}, killing it at a timeout. */
    private static Watched watch(List<String> command, Path log, long from, long deadline, Duration testTimeout)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = Processes.startLogged(command, log);
        long lastMark = start;
        String suite = "?";
        String current = null;
        StringBuilder live = new StringBuilder();
        int scanFrom = 0;
        long pos = from;
        String stopReason = null;
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            while (true) {
                boolean exited = p.waitFor(POLL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                long size = ch.size();
                if (size > pos) {
                    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size - pos, 1 << 20));
                    int n = ch.read(buf, pos);
                    if (n > 0) {
                        pos += n;
                        live.append(new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
                    }
                }
                Matcher m = PROGRESS.matcher(live);
                int end = scanFrom;
                while (m.find(end)) {
                    if (m.group(1) != null) {
                        suite = m.group(1);
                    } else {
                        current = suite + "." + m.group(2);
                        lastMark = System.nanoTime();
                    }
                    end = m.end();
                }
                // Keep a tail in case a marker arrives in pieces; drop what was scanned.
                int keep = Math.max(end, live.length() - 256);
                live.delete(0, keep);
                scanFrom = 0;
                if (exited) {
                    break;
                }
                long now = System.nanoTime();
                if (now > deadline) {
                    stopReason = "run timeout reached" + (current != null ? " during " + current : "");
                } else if (now - lastMark > testTimeout.toNanos()) {
                    stopReason = (current != null ? "test " + current : "setup before the first test")
                            + " ran longer than " + testTimeout.toSeconds() + " s";
                }
                if (stopReason != null) {
                    Processes.killGroup(p);
                    break;
                }
            }
        } finally {
            // Also after a normal exit: whatever the tool left behind in its group goes with it.
            Processes.killGroup(p);
        }
        if (stopReason != null) {
            Files.writeString(log, "\n# ---- killed by LibiscsiSuite: " + stopReason + "\n", StandardOpenOption.APPEND);
        }
        return new Watched(stopReason != null ? -1 : p.exitValue(), stopReason,
                Duration.ofNanos(System.nanoTime() - start));
    }

    private static String read(Path log, long from) throws IOException {
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer buf = ByteBuffer.allocate((int) (size - from));
            while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
                // read all
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.ISO_8859_1);
        }
    }

    private static void writeResults(Path file, Result r) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(r.describe()).append('\n');
        for (TestResult t : r.tests()) {
            sb.append(String.format("%-9s %s%n", t.outcome(), t.name()));
        }
        Files.writeString(file, sb.toString());
    }
}
