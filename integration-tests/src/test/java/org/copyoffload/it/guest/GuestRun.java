package org.copyoffload.it.guest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The result of one guest boot: the steps of the script and the raw logs.
 *
 * @param dist      which guest ran
 * @param exitCode  exit status of {@code guest.sh run} (0 when the guest printed its done marker)
 * @param done      whether the guest reached {@code @@GUEST-DONE} (the script ran to its end and it powered off)
 * @param steps     the steps, in the order they began
 * @param unscoped  output lines printed outside any step
 * @param outLog    the script's output as written to {@code out.log} in the share (or from the serial log)
 * @param serialLog the guest console (kernel messages too)
 * @param hostLog   what {@code guest.sh} printed on the host (build/boot timings, QEMU errors)
 * @param share     the run folder, the guest's {@code /share}: files the guest wrote there can be read here
 * @param logFile   the combined log under {@code target/guest-logs}
 * @param elapsed   wall time of {@code guest.sh run}
 */
public record GuestRun(
        GuestVm.Dist dist,
        int exitCode,
        boolean done,
        List<GuestStep> steps,
        List<String> unscoped,
        String outLog,
        String serialLog,
        String hostLog,
        Path share,
        Path logFile,
        Duration elapsed) {

    public GuestRun {
        steps = List.copyOf(steps);
        unscoped = List.copyOf(unscoped);
    }

    /** The first step called {@code name}, if it ran. */
    public Optional<GuestStep> findStep(String name) {
        return steps.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** The first step called {@code name}; fails with the whole log when the guest never began it. */
    public GuestStep step(String name) {
        return findStep(name).orElseThrow(() -> new AssertionError(
                "guest " + dist.id() + " never began step '" + name + "'\n" + describe()));
    }

    /** The step called {@code name}, which must have returned 0; fails with the whole log otherwise. */
    public GuestStep ok(String name) {
        GuestStep step = step(name);
        if (!step.ok()) {
            throw new AssertionError("step " + name + " failed:\n" + describe());
        }
        return step;
    }

    /** {@code length} bytes of a volume file at {@code offset}, to check what a guest wrote. */
    public static byte[] readFile(Path file, long offset, int length) throws java.io.IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(length);
            while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
                // read until full or the end of the file
            }
            return b.array();
        }
    }

    /** Fails with the whole log unless the guest ran the script to its end. */
    public GuestRun requireDone() {
        if (!done) {
            throw new AssertionError("guest " + dist.id() + " did not finish (guest.sh exit " + exitCode + ")\n"
                    + describe());
        }
        return this;
    }

    /** Fails with the whole log unless the guest finished and every step returned 0. */
    public GuestRun requireAllOk() {
        requireDone();
        List<GuestStep> bad = steps.stream().filter(s -> !s.ok()).toList();
        if (!bad.isEmpty()) {
            throw new AssertionError("guest " + dist.id() + ": " + bad.size() + " step(s) failed: "
                    + bad.stream().map(GuestStep::describe).toList() + "\n" + describe());
        }
        return this;
    }

    /** Everything needed to diagnose a failure, for assertion messages (the full text is also in logFile). */
    public String describe() {
        return "---- guest " + dist.id() + " (log " + logFile + ", share " + share + ") ----\n"
                + "---- host ----\n" + hostLog.strip() + "\n"
                + "---- out.log ----\n" + outLog.strip() + "\n"
                + (outLog.isBlank() ? "---- serial ----\n" + serialLog.strip() + "\n" : "");
    }

    private static final Pattern BEGIN = Pattern.compile("^@@STEP-BEGIN (\\S+)");
    private static final Pattern END = Pattern.compile("^@@STEP-END (\\S+) rc=(-?\\d+)");
    private static final Pattern TIMEOUT = Pattern.compile("^@@STEP-TIMEOUT (\\S+)");

    /**
     * Splits a guest log into steps. Steps run one after another, so the lines between a step's BEGIN and END
     * markers are its output; a step without END (guest died) keeps what it printed and is marked not finished.
     */
    static Parsed parse(String log) {
        List<GuestStep> steps = new ArrayList<>();
        List<String> unscoped = new ArrayList<>();
        String current = null;
        boolean timedOut = false;
        List<String> lines = new ArrayList<>();
        for (String raw : log.stripTrailing().split("\n")) {
            String line = clean(raw);
            Matcher m;
            if ((m = BEGIN.matcher(line)).find()) {
                if (current != null) { // previous step never ended
                    steps.add(new GuestStep(current, false, -1, timedOut, lines));
                }
                current = m.group(1);
                timedOut = false;
                lines = new ArrayList<>();
            } else if (current != null && (m = TIMEOUT.matcher(line)).find() && m.group(1).equals(current)) {
                timedOut = true;
            } else if (current != null && (m = END.matcher(line)).find() && m.group(1).equals(current)) {
                steps.add(new GuestStep(current, true, Integer.parseInt(m.group(2)), timedOut, lines));
                current = null;
            } else if (current != null) {
                lines.add(line);
            } else if (!line.isEmpty() && !line.startsWith("@@GUEST-")) {
                unscoped.add(line);
            }
        }
        if (current != null) {
            steps.add(new GuestStep(current, false, -1, timedOut, lines));
        }
        return new Parsed(steps, unscoped);
    }

    /** Drops the carriage returns and terminal escapes that the serial console adds. */
    private static String clean(String line) {
        return line.replace("\r", "").replaceAll("\u001B\\[[0-9;?]*[A-Za-z]|\u001Bc", "");
    }

    record Parsed(List<GuestStep> steps, List<String> unscoped) {}
}
