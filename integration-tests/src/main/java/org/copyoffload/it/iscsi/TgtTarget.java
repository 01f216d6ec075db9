package org.copyoffload.it.iscsi;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's {@code tgt} (the Linux SCSI target framework daemon, a user-space iSCSI target in C) serving
 * file-backed logical units on a loopback port: a peer to run the same real clients against.
 *
 * <pre>{@code
 * try (TgtTarget tgt = TgtTarget.start(TgtTarget.Config.defaults())) {   // LUN 1 and 2, 128 MiB each
 *     IscsiUrl lun1 = tgt.url(1);       // iscsi://127.0.0.1:PORT/iqn.2026-01.org.copyoffload:tgt/1
 *     ...
 * }                                     // tgtd is gone here, and its files
 * }</pre>
 *
 * <p>tgtd runs in the foreground ({@code tgtd -f -C N --iscsi portal=HOST:PORT}) as a child of this JVM, in its
 * own process group, with its own control socket {@code /var/run/tgtd/socket.N} (N is the iSCSI port, less 32768
 * above 32767, tgtd's limit; never 0, the system instance's) and is configured with {@code tgtadm -C N}: target 1 with the given LUNs, open to
 * any initiator address (or to the initiator names given). tgt always has a LUN 0 of its own (a controller); volumes start at LUN 1.
 *
 * <p>Stopping: tgtd ignores SIGTERM. {@link #close()} sets the daemon offline, removes the ACL (no new logins), ends
 * every connection ({@code --mode conn --op delete}: tgt will not delete a target whose LU has commands in flight,
 * even with {@code --force}), deletes the target, and asks tgtd to exit ({@code tgtadm --op delete --mode system});
 * only if it is still there after that does it kill the process group, and {@link #stoppedCleanly()} then says so.
 * An initiator that was logged in sees its connection closed (libiscsi's tools then retry for ever). A JVM shutdown hook does the same for a test run that is
 * killed. tgtd must run as root (it writes {@code /var/run/tgtd}).
 */
public final class TgtTarget implements AutoCloseable {

    /** The target name used unless the config says otherwise. */
    public static final String DEFAULT_IQN = "iqn.2026-01.org.copyoffload:tgt";
    private static final int TID = 1;
    private static final Duration TGTADM_LIMIT = Duration.ofSeconds(15);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);
    private static final int PORT_ATTEMPTS = 5;
    private static final Pattern NEXUS = Pattern.compile("\\s*I_T nexus: (\\d+)\\s*");
    private static final Pattern CONNECTION = Pattern.compile("\\s*Connection: (\\d+)\\s*");

    /**
     * One logical unit.
     *
     * @param number    its LUN (1 or more: tgt keeps 0)
     * @param sizeBytes size of its backing file (sparse)
     * @param blockSize logical block size, 0 for tgt's default (512)
     */
    public record Lun(int number, long sizeBytes, int blockSize) {
        public Lun {
            if (number < 1) {
                throw new IllegalArgumentException("tgt keeps LUN 0 for its controller; LUN " + number);
            }
            if (sizeBytes <= 0) {
                throw new IllegalArgumentException("size " + sizeBytes);
            }
            if (blockSize != 0 && (blockSize < 512 || Integer.bitCount(blockSize) != 1)) {
                throw new IllegalArgumentException("block size " + blockSize);
            }
        }

        public static Lun of(int number, long sizeBytes) {
            return new Lun(number, sizeBytes, 0);
        }
    }

    /**
     * How to start.
     *
     * @param host         the portal's address (loopback only, by this project's rules)
     * @param port         the portal's port; 0 picks a free one
     * @param iqn          the target's name
     * @param luns         the logical units
     * @param initiators   the initiator names allowed to log in; empty for any initiator (address ALL)
     * @param dir          where the backing files go; null for a new temporary folder, removed by close
     * @param logFile      tgtd's own output; null for {@code tgtd-PORT.log} in {@link IscsiLogs#dir()}
     * @param startTimeout how long tgtd may take to answer on its control socket and its portal
     */
    public record Config(String host, int port, String iqn, List<Lun> luns, List<String> initiators, Path dir,
                         Path logFile, Duration startTimeout) {
        public Config {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(iqn, "iqn");
            luns = List.copyOf(luns);
            if (luns.isEmpty()) {
                throw new IllegalArgumentException("no LUN");
            }
            if (luns.stream().map(Lun::number).distinct().count() != luns.size()) {
                throw new IllegalArgumentException("LUN numbers repeat: " + luns);
            }
            initiators = List.copyOf(initiators);
            Objects.requireNonNull(startTimeout, "startTimeout");
        }

        /** 127.0.0.1, a free port, {@value #DEFAULT_IQN}, LUN 1 and LUN 2 of 128 MiB, 512-byte blocks. */
        public static Config defaults() {
            return new Config("127.0.0.1", 0, DEFAULT_IQN,
                    List.of(Lun.of(1, 128L << 20), Lun.of(2, 128L << 20)), List.of(), null, null,
                    Duration.ofSeconds(20));
        }

        public Config withPort(int p) {
            return new Config(host, p, iqn, luns, initiators, dir, logFile, startTimeout);
        }

        public Config withIqn(String name) {
            return new Config(host, port, name, luns, initiators, dir, logFile, startTimeout);
        }

        public Config withLuns(Lun... l) {
            return new Config(host, port, iqn, List.of(l), initiators, dir, logFile, startTimeout);
        }

        public Config withDir(Path d) {
            return new Config(host, port, iqn, luns, initiators, d, logFile, startTimeout);
        }

        /** Only these initiator names may log in (tgt's ACL by name instead of address ALL). */
        public Config withInitiators(String... names) {
            return new Config(host, port, iqn, luns, List.of(names), dir, logFile, startTimeout);
        }

        public Config withLogFile(Path f) {
            return new Config(host, port, iqn, luns, initiators, dir, f, startTimeout);
        }
    }

    private final Config config;
    private final int port;
    private final int control;
    private final Process process;
    private final Path dir;
    /** Set once the target is up: a failed attempt must not remove the files the next one uses. */
    private volatile boolean ownDir;
    private final Path logFile;
    private final Thread shutdownHook;
    private volatile boolean closed;
    private volatile boolean stoppedCleanly;

    private TgtTarget(Config config, int port, Process process, Path dir, Path logFile) {
        this.config = config;
        this.port = port;
        this.control = controlFor(port);
        this.process = process;
        this.dir = dir;
        this.logFile = logFile;
        this.shutdownHook = Thread.ofPlatform().unstarted(this::stop);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Whether tgtd and tgtadm are installed (Debian: {@code apt-get install tgt}). */
    public static boolean installed() {
        return Processes.onPath("tgtd") && Processes.onPath("tgtadm");
    }

    /** Starts tgtd with {@link Config#defaults()}. */
    public static TgtTarget start() throws IOException {
        return start(Config.defaults());
    }

    /**
     * Starts tgtd, creates the backing files and configures the target; on any failure nothing is left running.
     *
     * @throws IOException when tgtd cannot be started or configured (the message carries its log)
     */
    public static TgtTarget start(Config config) throws IOException {
        if (!installed()) {
            throw new IOException("tgtd/tgtadm not found (Debian: apt-get install tgt)");
        }
        boolean ownDir = config.dir() == null;
        Path dir = ownDir ? Files.createTempDirectory("copyoffload-tgt-") : config.dir();
        try {
            for (Lun l : config.luns()) {
                try (RandomAccessFile f = new RandomAccessFile(lunPath(dir, l.number()).toFile(), "rw")) {
                    f.setLength(l.sizeBytes());
                }
            }
            IOException last = null;
            for (int attempt = 0; attempt < (config.port() == 0 ? PORT_ATTEMPTS : 1); attempt++) {
                int port = config.port() != 0 ? config.port() : freePort(config.host());
                if (controlFor(port) == 0) {
                    last = new PortTaken("port " + port + " would use tgtd's control socket 0 (the system's)");
                    continue;
                }
                Path log = config.logFile() != null ? config.logFile()
                        : IscsiLogs.dir().resolve("tgtd-" + port + ".log");
                Files.createDirectories(log.toAbsolutePath().getParent());
                Files.deleteIfExists(log);
                try {
                    TgtTarget t = launch(config, port, dir, log);
                    try {
                        t.configure();
                    } catch (IOException | RuntimeException e) {
                        t.close();
                        throw e;
                    }
                    t.ownDir = ownDir;
                    return t;
                } catch (PortTaken e) {
                    last = e;
                }
            }
            throw last;
        } catch (IOException | RuntimeException e) {
            if (ownDir) {
                Processes.deleteRecursively(dir);
            }
            throw e;
        }
    }

    /** Another tgtd holds the control socket, or the portal's port is in use: try another port. */
    private static final class PortTaken extends IOException {
        PortTaken(String message) {
            super(message);
        }
    }

    private static TgtTarget launch(Config config, int port, Path dir, Path log) throws IOException {
        List<String> cmd = List.of("tgtd", "-f", "-C", Integer.toString(controlFor(port)),
                "--iscsi", "portal=" + config.host() + ":" + port);
        Process p = Processes.startLogged(cmd, log);
        TgtTarget t = new TgtTarget(config, port, p, dir, log);
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        try {
            while (true) {
                String out = Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
                if (out.contains("another tgtd is using")) {
                    t.close();
                    throw new PortTaken("control socket " + controlFor(port) + " in use: " + out.strip());
                }
                if (out.contains("failed to create/bind to portal")) {
                    // tgtd stays up without its portal: stop it the clean way and move on.
                    t.close();
                    throw new PortTaken("portal " + config.host() + ":" + port + " in use: " + out.strip());
                }
                if (!p.isAlive()) {
                    t.close();
                    throw new IOException("tgtd exited with status " + p.exitValue() + ":\n" + out.strip());
                }
                if (t.tgtadmQuietly("--op", "show", "--mode", "sys").ok() && accepts(config.host(), port)) {
                    return t;
                }
                if (System.nanoTime() > deadline) {
                    t.close();
                    throw new IOException("tgtd did not come up in " + config.startTimeout().toSeconds() + " s:\n"
                            + out.strip());
                }
                p.waitFor(100, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            t.close();
            throw new IOException("interrupted while starting tgtd", e);
        }
    }

    private void configure() throws IOException {
        tgtadm("--lld", "iscsi", "--mode", "target", "--op", "new", "--tid", Integer.toString(TID),
                "--targetname", config.iqn());
        for (Lun l : config.luns()) {
            List<String> a = new ArrayList<>(List.of("--lld", "iscsi", "--mode", "logicalunit", "--op", "new",
                    "--tid", Integer.toString(TID), "--lun", Integer.toString(l.number()),
                    "--backing-store", lunPath(dir, l.number()).toString()));
            if (l.blockSize() != 0) {
                a.addAll(List.of("--blocksize", Integer.toString(l.blockSize())));
            }
            tgtadm(a.toArray(String[]::new));
        }
        if (config.initiators().isEmpty()) {
            tgtadm("--lld", "iscsi", "--mode", "target", "--op", "bind", "--tid", Integer.toString(TID),
                    "--initiator-address", "ALL");
        }
        for (String name : config.initiators()) {
            tgtadm("--lld", "iscsi", "--mode", "target", "--op", "bind", "--tid", Integer.toString(TID),
                    "--initiator-name", name);
        }
    }

    /** The URL of logical unit {@code lun} of this target. */
    public IscsiUrl url(int lun) {
        return new IscsiUrl(config.host(), port, config.iqn(), lun);
    }

    public String host() {
        return config.host();
    }

    public int port() {
        return port;
    }

    public String iqn() {
        return config.iqn();
    }

    public Config config() {
        return config;
    }

    /** The number of tgtd's control socket ({@code tgtadm -C N}). */
    public int controlPort() {
        return control;
    }

    /** tgtd takes control socket numbers 0 to 32767. */
    static int controlFor(int port) {
        return port > 32767 ? port - 32768 : port;
    }

    /** The backing file of {@code lun}. */
    public Path lunFile(int lun) {
        return lunPath(dir, lun);
    }

    public Path logFile() {
        return logFile;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /** After {@link #close()}: whether tgtd exited when asked to, without a kill. */
    public boolean stoppedCleanly() {
        return stoppedCleanly;
    }

    /** {@code tgtadm -C N --lld iscsi --mode target --op show}: the target, its LUNs and its sessions. */
    public String show() throws IOException {
        return tgtadm("--lld", "iscsi", "--mode", "target", "--op", "show");
    }

    /** Runs {@code tgtadm -C N ARGS...}; returns its output, throws with it on failure. */
    public String tgtadm(String... args) throws IOException {
        Processes.Done d = tgtadmQuietly(args);
        if (!d.ok()) {
            throw new IOException("tgtadm " + String.join(" ", args) + " failed (exit " + d.exitCode()
                    + (d.timedOut() ? ", timed out" : "") + "): " + d.output().strip());
        }
        return d.output();
    }

    private Processes.Done tgtadmQuietly(String... args) {
        List<String> cmd = new ArrayList<>(List.of("tgtadm", "-C", Integer.toString(control)));
        cmd.addAll(List.of(args));
        return Processes.run(cmd, TGTADM_LIMIT);
    }

    /** Stops tgtd (see the class comment), removes its control socket files and, if it made them, the LUN files. */
    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running or has run
        }
    }

    private synchronized void stop() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (process.isAlive()) {
                String tid = Integer.toString(TID);
                tgtadmQuietly("--op", "update", "--mode", "sys", "--name", "State", "-v", "offline");
                // No new logins, then end the sessions: tgt refuses to delete a target whose LU has commands in
                // flight ("this logical unit is still active"), even with --force.
                if (config.initiators().isEmpty()) {
                    tgtadmQuietly("--lld", "iscsi", "--mode", "target", "--op", "unbind", "--tid", tid,
                            "--initiator-address", "ALL");
                }
                for (String name : config.initiators()) {
                    tgtadmQuietly("--lld", "iscsi", "--mode", "target", "--op", "unbind", "--tid", tid,
                            "--initiator-name", name);
                }
                boolean deleted = false;
                for (int attempt = 0; attempt < 20 && !deleted; attempt++) {
                    Processes.Done show = tgtadmQuietly("--lld", "iscsi", "--mode", "target", "--op", "show");
                    for (int[] c : connections(show.output())) {
                        tgtadmQuietly("--lld", "iscsi", "--mode", "conn", "--op", "delete", "--tid", tid,
                                "--sid", Integer.toString(c[0]), "--cid", Integer.toString(c[1]));
                    }
                    deleted = tgtadmQuietly("--lld", "iscsi", "--mode", "target", "--op", "delete", "--force",
                            "--tid", tid).ok();
                    if (!deleted) {
                        Thread.sleep(100);
                    }
                }
                tgtadmQuietly("--op", "delete", "--mode", "system");
                stoppedCleanly = process.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                if (!stoppedCleanly) {
                    Processes.killGroup(process);
                }
            } else {
                // It died by itself (e.g. never got its portal): nothing to ask it.
                stoppedCleanly = false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            try {
                Processes.killGroup(process);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        } finally {
            if (!process.isAlive()) {
                Processes.deleteQuietly(Path.of("/var/run/tgtd/socket." + control));
                Processes.deleteQuietly(Path.of("/var/run/tgtd/socket." + control + ".lock"));
            }
            if (ownDir) {
                try {
                    Processes.deleteRecursively(dir);
                } catch (UncheckedIOException e) {
                    // a temp folder left behind is harmless
                }
            }
        }
    }

    /** Something that describes this instance, for logs. */
    @Override
    public String toString() {
        return "tgtd pid " + process.pid() + " on " + config.host() + ":" + port + " (" + config.iqn() + ", LUNs "
                + config.luns().stream().map(l -> Integer.toString(l.number())).toList() + ")";
    }

    /** The log so far (for failure messages). */
    public Optional<String> log() {
        try {
            return Optional.of(Files.readString(logFile, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** (session id, connection id) of every connection in {@code tgtadm --mode target --op show}'s output. */
    static List<int[]> connections(String show) {
        List<int[]> out = new ArrayList<>();
        int sid = -1;
        for (String line : show.split("\\R")) {
            Matcher n = NEXUS.matcher(line);
            Matcher c = CONNECTION.matcher(line);
            if (n.matches()) {
                sid = Integer.parseInt(n.group(1));
            } else if (c.matches() && sid >= 0) {
                out.add(new int[] {sid, Integer.parseInt(c.group(1))});
            } else if (line.strip().equals("LUN information:")) {
                sid = -1;
            }
        }
        return out;
    }

    private static Path lunPath(Path dir, int lun) {
        return dir.resolve("lun" + lun + ".img");
    }

    private static int freePort(String host) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return s.getLocalPort();
        }
    }

    private static boolean accepts(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
