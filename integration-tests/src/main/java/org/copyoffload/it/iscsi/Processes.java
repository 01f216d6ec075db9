package org.copyoffload.it.iscsi;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starting the real clients and servers as their own process group, and ending them by it.
 *
 * <p>A command starts through {@code setsid} (util-linux), which makes the started process the leader of a new
 * session and process group, so its pid is the group id and a timeout can kill everything it started with
 * {@code kill -KILL -- -PID}, not only the process Java knows.
 */
final class Processes {

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private Processes() {
    }

    /** The result of a short command run to completion (or killed at its limit). */
    record Done(int exitCode, String output, boolean timedOut) {
        boolean ok() {
            return exitCode == 0 && !timedOut;
        }
    }

    /** {@code command} preceded by {@code setsid} when this machine has it. */
    static List<String> inOwnGroup(List<String> command) {
        if (!Files.isExecutable(SETSID)) {
            return command;
        }
        List<String> c = new ArrayList<>(command.size() + 1);
        c.add(SETSID.toString());
        c.addAll(command);
        return c;
    }

    /** Starts {@code command} in its own process group, stdin from /dev/null, stdout and stderr appended to {@code log}. */
    static Process startLogged(List<String> command, Path log) throws IOException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(inOwnGroup(command))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return pb.start();
    }

    /** Runs a short command in its own group, bounded by {@code limit}; its output is returned (not logged). */
    static Done run(List<String> command, Duration limit) {
        Path out = null;
        try {
            out = Files.createTempFile("iscsi-cmd-", ".out");
            Process p = startLogged(command, out);
            boolean finished = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                killGroup(p);
            }
            return new Done(finished ? p.exitValue() : -1, Files.readString(out, StandardCharsets.ISO_8859_1),
                    !finished);
        } catch (IOException e) {
            return new Done(-1, "cannot run " + command + ": " + e.getMessage(), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            deleteQuietly(out);
        }
    }

    /** Sends {@code signal} (e.g. "INT") to the process {@code pid} only. */
    static void signal(long pid, String signal) {
        run(List.of("kill", "-s", signal, Long.toString(pid)), Duration.ofSeconds(5));
    }

    /**
     * Kills the process group led by {@code p} (SIGKILL), every descendant Java can see, and {@code p}
     * itself, then waits for {@code p} to be reaped (at most 10 s).
     */
    static void killGroup(Process p) throws InterruptedException {
        long pid = p.pid();
        // The group first: a descendant that left the tree (re-parented to init) is still in it.
        try {
            new ProcessBuilder("kill", "-s", "KILL", "--", "-" + pid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start()
                    .waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // no kill(1): fall back to what Java can reach
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** Whether {@code exe} is an executable on PATH. */
    static boolean onPath(String exe) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        return Stream.concat(Stream.of(path.split(":")), Stream.of("/usr/sbin", "/sbin"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, exe)));
    }

    /** Whether this JVM runs as root. */
    static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a temp file left behind is harmless
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(Processes::deleteQuietly);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
