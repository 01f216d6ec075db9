package org.copyoffload.it.guest;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

/**
 * Boots a small QEMU guest running a stock Debian kernel and Debian's initiators (nvme-cli, open-iscsi,
 * sg3-utils, ddpt) and runs a batch of steps in it, through {@code integration-tests/guest/guest.sh}.
 *
 * <p>The guest reaches this host's 127.0.0.1 as {@value #HOST_ADDRESS} and nothing else, so a target under
 * test listens on 127.0.0.1 and the guest script connects to {@value #HOST_ADDRESS}. Discovery answers carry
 * the target's own 127.0.0.1, which in the guest is the guest itself: connect to {@value #HOST_ADDRESS}
 * explicitly instead of following them.
 *
 * <p>A script is sourced by {@code /bin/sh} in the guest; {@code step NAME 'snippet'} runs one check with a
 * watchdog ({@code STEP_TIMEOUT}, default 60 s; {@code STEP_TIMEOUT=5 step ...} for one step) and the result
 * of each step comes back as a {@link GuestStep}. Only {@code export}ed variables reach a snippet. Files
 * given in {@link Options#files()} appear in the guest under {@code /share}; files the guest writes there
 * can be read from {@link GuestRun#share()}.
 *
 * <p>Guest tests fail when the guest cannot be used, unless {@code -Dcopyoffload.skipGuest=true}.
 */
public final class GuestVm {

    /** The host's 127.0.0.1 as the guest sees it (QEMU user networking). */
    public static final String HOST_ADDRESS = "10.0.2.2";
    /** The guest's own static address; it has no default route. */
    public static final String GUEST_ADDRESS = "10.0.2.15";
    /** Fixed in the guest's /etc/nvme/hostnqn, so access lists are deterministic. */
    public static final String HOST_NQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-00000000beef";
    /** Fixed in the guest's /etc/nvme/hostid. */
    public static final String HOST_ID = "00000000-0000-0000-0000-00000000beef";
    /** Fixed in the guest's /etc/iscsi/initiatorname.iscsi. */
    public static final String INITIATOR_NAME = "iqn.2026-01.org.copyoffload:guest";

    /** Two kernel generations, because users run both. */
    public enum Dist {
        /** Debian 12: kernel 6.1, nvme-cli 2.3, open-iscsi 2.1.8 (this host's own binaries). */
        BOOKWORM("bookworm", "6.1"),
        /** Debian 13: kernel 6.12, nvme-cli 2.13, open-iscsi 2.1.11, libiscsi 1.20, ktls-utils (tlshd). */
        TRIXIE("trixie", "6.12");

        private final String id;
        private final String kernel;

        Dist(String id, String kernel) {
            this.id = id;
            this.kernel = kernel;
        }

        /** The Debian code name, as {@code GUEST_DIST} takes it. */
        public String id() {
            return id;
        }

        /** Kernel series, e.g. "6.1": {@code uname -r} starts with this followed by a dot. */
        public String kernel() {
            return kernel;
        }
    }

    /**
     * How to run one boot.
     *
     * @param name        log name (target/guest-logs/NAME-DIST.log); null: the calling test class and method
     * @param timeout     the whole QEMU run (GUEST_TIMEOUT); the guest is killed after it
     * @param stepTimeout default watchdog per step inside the guest (STEP_TIMEOUT)
     * @param qemuExtra   extra QEMU arguments (QEMU_EXTRA, word-split), e.g. QEMU's own NVMe device
     * @param env         more environment for guest.sh (e.g. QEMU_ROOT, GUEST_MEM)
     * @param files       files put in the share before boot: name relative to /share, content
     */
    public record Options(String name, Duration timeout, Duration stepTimeout, String qemuExtra,
                          Map<String, String> env, Map<String, byte[]> files) {

        public Options {
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(stepTimeout, "stepTimeout");
            qemuExtra = qemuExtra == null ? "" : qemuExtra;
            env = Map.copyOf(env);
            files = Map.copyOf(files);
        }

        public static Options defaults() {
            return new Options(null, Duration.ofSeconds(300), Duration.ofSeconds(60), "", Map.of(), Map.of());
        }

        public Options withName(String n) {
            return new Options(n, timeout, stepTimeout, qemuExtra, env, files);
        }

        public Options withTimeout(Duration t) {
            return new Options(name, t, stepTimeout, qemuExtra, env, files);
        }

        public Options withStepTimeout(Duration t) {
            return new Options(name, timeout, t, qemuExtra, env, files);
        }

        public Options withQemuExtra(String extra) {
            return new Options(name, timeout, stepTimeout, extra, env, files);
        }

        public Options withEnv(String key, String value) {
            Map<String, String> m = new HashMap<>(env);
            m.put(key, value);
            return new Options(name, timeout, stepTimeout, qemuExtra, m, files);
        }

        public Options withFile(String shareName, byte[] content) {
            Map<String, byte[]> m = new HashMap<>(files);
            m.put(shareName, content.clone());
            return new Options(name, timeout, stepTimeout, qemuExtra, env, m);
        }
    }

    /** A first trixie build runs debootstrap: give it room on a busy 2-core machine. */
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);
    /** guest.sh kills QEMU itself at GUEST_TIMEOUT (+10 s); this margin covers a build that run may redo. */
    private static final Duration RUN_MARGIN = Duration.ofMinutes(3);

    /** Build once per JVM per dist; a failed build is remembered so later tests fail fast with its message. */
    private static final Map<Dist, Object> BUILDS = new ConcurrentHashMap<>();
    private static final Set<String> USED_LOG_NAMES = ConcurrentHashMap.newKeySet();
    private static volatile boolean available;

    private GuestVm() {
    }

    /** Boots {@code dist} once, runs {@code script} in it and returns the parsed steps. */
    public static GuestRun run(Dist dist, String script, Duration timeout) {
        return run(dist, script, Options.defaults().withTimeout(timeout).withName(callerName()));
    }

    /** As {@link #run(Dist, String, Duration)}, logging as {@code target/guest-logs/NAME-DIST.log}. */
    public static GuestRun run(String name, Dist dist, String script, Duration timeout) {
        return run(dist, script, Options.defaults().withTimeout(timeout).withName(name));
    }

    /**
     * Boots {@code dist} once with {@code options}, runs {@code script} in it and returns the parsed steps. A guest
     * whose kernel died while booting (an Oops or panic on the console before the first step began; seen once in CI
     * under multi-threaded TCG, in {@code sched_clock_cpu}) is booted once more: nothing of the script ran, so the
     * second boot runs it as if it were the first.
     */
    public static GuestRun run(Dist dist, String script, Options options) {
        ensureAvailable();
        build(dist);
        String name = options.name() != null ? options.name() : callerName();
        GuestRun run = runOnce(dist, script, options, uniqueLogName(sanitize(name) + "-" + dist.id()));
        if (diedBooting(run)) {
            System.out.printf("[GuestVm] %s: the guest kernel died before the first step; booting it again%n",
                    run.logFile().getFileName());
            run = runOnce(dist, script, options, uniqueLogName(sanitize(name) + "-" + dist.id() + "-reboot"));
        }
        return run;
    }

    private static final Pattern KERNEL_DEATH = Pattern.compile("\\b(Oops|Kernel panic|BUG: )");

    /** Whether the guest's kernel died before the script's first step began (nothing of the script ran). */
    static boolean diedBooting(GuestRun run) {
        return !run.done() && run.steps().isEmpty() && KERNEL_DEATH.matcher(run.serialLog()).find();
    }

    private static GuestRun runOnce(Dist dist, String script, Options options, String logName) {
        Path target = moduleDir().resolve("target");
        Path share = target.resolve("guest-runs").resolve(logName);
        Path logFile = target.resolve("guest-logs").resolve(logName + ".log");
        try {
            deleteRecursively(share);
            Files.createDirectories(share);
            Files.createDirectories(logFile.getParent());
            Path cmds = target.resolve("guest-runs").resolve(logName + ".cmds.sh");
            Files.writeString(cmds, script.endsWith("\n") ? script : script + "\n");
            for (Map.Entry<String, byte[]> f : options.files().entrySet()) {
                Path p = share.resolve(f.getKey()).normalize();
                if (!p.startsWith(share)) {
                    throw new IllegalArgumentException("file outside the share: " + f.getKey());
                }
                Files.createDirectories(p.getParent());
                Files.write(p, f.getValue());
            }
            Map<String, String> env = new LinkedHashMap<>(options.env());
            env.put("GUEST_DIST", dist.id());
            env.put("GUEST_SHARE", share.toString());
            env.put("GUEST_TIMEOUT", Long.toString(Math.max(1, options.timeout().toSeconds())));
            env.put("STEP_TIMEOUT", Long.toString(Math.max(1, options.stepTimeout().toSeconds())));
            env.put("QEMU_EXTRA", options.qemuExtra());

            Instant t0 = Instant.now();
            Result r = exec(List.of("bash", script().toString(), "run", cmds.toString()), env,
                    options.timeout().plus(RUN_MARGIN));
            Duration elapsed = Duration.between(t0, Instant.now());

            String outLog = readIfExists(share.resolve("out.log"));
            String serial = readIfExists(share.resolve("serial.log"));
            // Without the 9p share (it failed to mount) the same markers are on the serial console.
            GuestRun.Parsed parsed = GuestRun.parse(outLog.isBlank() ? serial : outLog);
            boolean done = outLog.contains("@@GUEST-DONE") || serial.contains("@@GUEST-DONE");
            String host = r.output() + (r.timedOut() ? "\n[GuestVm] guest.sh run killed after " + elapsed : "");
            GuestRun run = new GuestRun(dist, r.exitCode(), done && r.exitCode() == 0, parsed.steps(),
                    parsed.unscoped(), outLog, serial, host, share, logFile, elapsed);
            writeLog(run, options, script);
            System.out.printf("[GuestVm] %s: %s in %.1f s, %d steps, log %s%n", logName,
                    run.done() ? "done" : "NOT DONE", elapsed.toMillis() / 1000.0, run.steps().size(), logFile);
            return run;
        } catch (IOException e) {
            throw new UncheckedIOException("guest run " + logName + " failed", e);
        }
    }

    /**
     * Makes sure the guest can be used: skips (JUnit assumption) when {@code -Dcopyoffload.skipGuest=true};
     * installs the host packages with {@code guest.sh deps} when QEMU is missing and we are root; otherwise fails.
     */
    public static void ensureAvailable() {
        Assumptions.assumeFalse(Boolean.getBoolean("copyoffload.skipGuest"),
                "guest tests skipped: -Dcopyoffload.skipGuest=true");
        if (available) {
            return;
        }
        synchronized (GuestVm.class) {
            if (available) {
                return;
            }
            Path script = script();
            if (!Files.isRegularFile(script)) {
                throw new AssertionError("guest harness not found: " + script
                        + " (set -Dcopyoffload.guest.script=PATH/guest.sh)");
            }
            if (!onPath("qemu-system-x86_64") && isRoot()) {
                Result r = exec(List.of("bash", script.toString(), "deps"), Map.of(), Duration.ofMinutes(15));
                if (r.exitCode() != 0) {
                    throw new AssertionError("guest.sh deps failed (exit " + r.exitCode() + "):\n" + r.output());
                }
            }
            if (!onPath("qemu-system-x86_64")) {
                throw new AssertionError("qemu-system-x86_64 is missing: run `" + script + " deps` as root, or "
                        + "pass -Dcopyoffload.skipGuest=true to skip the guest tests");
            }
            available = true;
        }
    }

    /** Builds the guest of {@code dist} (cached by guest.sh; done once per JVM). */
    public static void build(Dist dist) {
        Object state = BUILDS.computeIfAbsent(dist, d -> {
            Result r = exec(List.of("bash", script().toString(), "build"), Map.of("GUEST_DIST", d.id()), BUILD_TIMEOUT);
            return r.exitCode() == 0 ? Boolean.TRUE
                    : "guest.sh build for " + d.id() + " failed (exit " + r.exitCode() + "):\n" + r.output();
        });
        if (state instanceof String failure) {
            throw new AssertionError(failure);
        }
    }

    /** guest.sh: {@code -Dcopyoffload.guest.script}, else {@code guest/guest.sh} in this module. */
    /**
     * Debian 13's QEMU 10.0 in a folder of its own ({@code guest.sh qemu-root}, about 30 s the first time), for
     * {@code Options.withEnv("QEMU_ROOT", ...)}: {@code -Dcopyoffload.qemuRoot=DIR}, default
     * /var/tmp/copyoffload-guest/qemu-trixie.
     */
    public static Path qemuRoot() throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("copyoffload.qemuRoot", "/var/tmp/copyoffload-guest/qemu-trixie"));
        Path qemu = root.resolve("usr/bin/qemu-system-x86_64");
        if (!Files.isExecutable(qemu)) {
            Path out = Files.createTempFile("qemu-root-", ".log");
            try {
                ProcessBuilder pb = new ProcessBuilder("bash", script().toString(), "qemu-root")
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectErrorStream(true).redirectOutput(out.toFile());
                pb.environment().put("QEMU_ROOT", root.toString());
                Process p = pb.start();
                if (!p.waitFor(15, TimeUnit.MINUTES)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
                if (!Files.isExecutable(qemu)) {
                    throw new IllegalStateException("guest.sh qemu-root made no " + qemu + ":\n"
                            + Files.readString(out, StandardCharsets.ISO_8859_1));
                }
            } finally {
                Files.deleteIfExists(out);
            }
        }
        return root;
    }

    public static Path script() {
        String explicit = System.getProperty("copyoffload.guest.script");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit).toAbsolutePath();
        }
        return moduleDir().resolve("guest").resolve("guest.sh");
    }

    /** The integration-tests module folder (see {@link org.copyoffload.it.iscsi.IscsiLogs#moduleDir}). */
    static Path moduleDir() {
        return org.copyoffload.it.iscsi.IscsiLogs.moduleDir();
    }

    // ------------------------------------------------------------------------------------------ internals

    private record Result(int exitCode, String output, boolean timedOut) {
    }

    /** Runs a command (guest.sh through bash, so a lost executable bit does not matter) with stdout+stderr going to a temp file (no pipe to drain, no deadlock), bounded. */
    private static Result exec(List<String> command, Map<String, String> env, Duration limit) {
        Path out = null;
        try {
            out = Files.createTempFile("guest-", ".log");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            boolean finished = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                // Kill QEMU and the rest first: destroying bash alone would orphan them.
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            int rc = finished ? p.exitValue() : -1;
            return new Result(rc, Files.readString(out, StandardCharsets.ISO_8859_1), !finished);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    private static void writeLog(GuestRun run, Options options, String script) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# guest ").append(run.dist().id()).append(", guest.sh exit ").append(run.exitCode())
                .append(", done=").append(run.done()).append(", ").append(run.elapsed().toMillis()).append(" ms\n");
        sb.append("# share ").append(run.share()).append("\n");
        if (!options.qemuExtra().isBlank()) {
            sb.append("# QEMU_EXTRA ").append(options.qemuExtra()).append("\n");
        }
        sb.append("# steps:\n");
        for (GuestStep s : run.steps()) {
            sb.append("#   ").append(s.name()).append(": ")
                    .append(!s.finished() ? "not finished" : s.timedOut() ? "TIMEOUT" : "rc=" + s.rc()).append("\n");
        }
        sb.append("\n==== script ====\n").append(script.strip()).append("\n");
        sb.append("\n==== guest.sh (host) ====\n").append(run.hostLog().strip()).append("\n");
        sb.append("\n==== out.log ====\n").append(run.outLog().strip()).append("\n");
        sb.append("\n==== serial.log ====\n").append(run.serialLog().replace("\r", "").strip()).append("\n");
        Files.writeString(run.logFile(), sb.toString());
    }

    private static String readIfExists(Path p) throws IOException {
        // ISO-8859-1 never fails on the odd byte a console or a tool prints.
        return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
    }

    private static boolean onPath(String exe) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        return Stream.of(path.split(":")).anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, exe)));
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** The test that called us: the first frame outside GuestVm (and its nested classes). */
    private static String callerName() {
        String self = GuestVm.class.getName();
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().equals(self) && !f.getClassName().startsWith(self + "$"))
                .findFirst()
                .map(f -> simpleName(f.getClassName()) + "." + f.getMethodName())
                .orElse("guest"));
    }

    private static String simpleName(String className) {
        String s = className.substring(className.lastIndexOf('.') + 1);
        int dollar = s.indexOf('$');
        return dollar > 0 ? s.substring(0, dollar) : s;
    }

    private static String sanitize(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** Two runs with the same name in one JVM keep both logs: the second gets -2, and so on. */
    private static String uniqueLogName(String base) {
        if (USED_LOG_NAMES.add(base)) {
            return base;
        }
        for (int i = 2; ; i++) {
            String candidate = base + "-" + i;
            if (USED_LOG_NAMES.add(candidate)) {
                return candidate;
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
