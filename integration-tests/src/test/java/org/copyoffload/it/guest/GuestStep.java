package org.copyoffload.it.guest;

import java.util.List;

/**
 * One {@code step NAME 'snippet'} of a guest script, parsed from its {@code @@STEP-BEGIN} / {@code @@STEP-END}
 * markers.
 *
 * @param name     the step's name
 * @param finished whether its {@code @@STEP-END} marker arrived (false when the guest died or timed out mid-step)
 * @param rc       the snippet's exit status (137 when its watchdog killed it); -1 when not finished
 * @param timedOut whether the step's watchdog ({@code STEP_TIMEOUT}) killed it
 * @param lines    the snippet's stdout and stderr, in order
 */
public record GuestStep(String name, boolean finished, int rc, boolean timedOut, List<String> lines) {

    public GuestStep {
        lines = List.copyOf(lines);
    }

    /** Finished by itself with status 0. */
    public boolean ok() {
        return finished && !timedOut && rc == 0;
    }

    /** The output as one string, lines joined by {@code \n}. */
    public String output() {
        return String.join("\n", lines);
    }

    /** Whether any output line contains {@code text}. */
    public boolean contains(String text) {
        return lines.stream().anyMatch(l -> l.contains(text));
    }

    /** Short description for assertion messages. */
    public String describe() {
        String status = !finished ? "not finished" : timedOut ? "timed out (rc=" + rc + ")" : "rc=" + rc;
        return "step " + name + ": " + status + "\n  | " + String.join("\n  | ", lines);
    }
}
