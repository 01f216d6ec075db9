package org.copyoffload.it.iscsi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs libiscsi's {@code iscsi-perf} (libiscsi-bin 1.19) against one logical unit and reads what it prints: the
 * same user-space client for any target, ours or tgt.
 *
 * <p>What the tool can do (1.19, read from its source and {@code --help}): READ(16) only, never writes;
 * {@code -m} commands in flight (default 32), {@code -b} blocks per command (default 8), {@code -r} random LBAs
 * (any LBA, not aligned to the transfer size), {@code -R} random transfer sizes of 1 to {@code -b} blocks,
 * {@code -t} run time in seconds. It logs in with header digest None or CRC32C (the target picks).
 *
 * <p>It prints an average every second ({@code -l} puts each on its own line) and, when the run time is over,
 * {@code iops average N (M MB/s)} where MB is 2^20 bytes, then {@code finished.}. Its own end-of-run check can
 * miss the last second on a loaded machine and run on: the runner then sends SIGINT (which the tool takes as
 * "stop issuing, drain, print"), and kills it if that does not end it either; the last average it printed is
 * the result, marked {@link Result#overran()}.
 */
public final class IscsiPerf {
    private static final Logger logger = LoggerFactory.getLogger(IscsiPerf.class);

    /**
     * What to run.
     *
     * @param url              the logical unit
     * @param maxInFlight      {@code -m}: commands in flight (queue depth)
     * @param blocksPerRequest {@code -b}: logical blocks per READ(16)
     * @param runtime          {@code -t}: whole seconds
     * @param random           {@code -r}: random LBAs instead of sequential
     * @param randomBlocks     {@code -R}: random transfer sizes of 1 to {@code blocksPerRequest} blocks
     * @param initiatorName    {@code -i}, or null for the tool's default
     * @param executable       the tool
     */
    public record Options(IscsiUrl url, int maxInFlight, int blocksPerRequest, Duration runtime, boolean random,
                          boolean randomBlocks, String initiatorName, String executable) {
        public Options {
            Objects.requireNonNull(url, "url");
            if (maxInFlight < 1 || blocksPerRequest < 1) {
                throw new IllegalArgumentException("maxInFlight and blocksPerRequest must be positive");
            }
            if (runtime.toSeconds() < 1) {
                throw new IllegalArgumentException("runtime under a second: " + runtime);
            }
            Objects.requireNonNull(executable, "executable");
        }

        /** The tool's defaults: QD 32, 8 blocks, sequential; 10 s. */
        public static Options of(IscsiUrl url) {
            return new Options(url, 32, 8, Duration.ofSeconds(10), false, false, null, "iscsi-perf");
        }

        /** {@code bytes} per command on a LU of {@code blockSize}-byte blocks. */
        public Options withTransfer(int bytes, int blockSize) {
            if (bytes % blockSize != 0) {
                throw new IllegalArgumentException(bytes + " is not a multiple of " + blockSize);
            }
            return new Options(url, maxInFlight, bytes / blockSize, runtime, random, randomBlocks, initiatorName,
                    executable);
        }

        public Options withQueueDepth(int qd) {
            return new Options(url, qd, blocksPerRequest, runtime, random, randomBlocks, initiatorName, executable);
        }

        public Options withRuntime(Duration d) {
            return new Options(url, maxInFlight, blocksPerRequest, d, random, randomBlocks, initiatorName, executable);
        }

        public Options withRandom(boolean on) {
            return new Options(url, maxInFlight, blocksPerRequest, runtime, on, randomBlocks, initiatorName,
                    executable);
        }

        public Options withInitiatorName(String n) {
            return new Options(url, maxInFlight, blocksPerRequest, runtime, random, randomBlocks, n, executable);
        }

        List<String> command() {
            List<String> c = new ArrayList<>();
            if (Processes.onPath("stdbuf")) {
                c.addAll(List.of("stdbuf", "-o0"));
            }
            c.add(executable);
            c.addAll(List.of("-l", "-m", Integer.toString(maxInFlight), "-b", Integer.toString(blocksPerRequest),
                    "-t", Long.toString(runtime.toSeconds())));
            if (random) {
                c.add("-r");
            }
            if (randomBlocks) {
                c.add("-R");
            }
            if (initiatorName != null) {
                c.addAll(List.of("-i", initiatorName));
            }
            c.add(url.toString());
            return c;
        }
    }

    /**
     * What it printed, read.
     *
     * @param capacityBlocks   the LU's size in blocks ({@code capacity is N blocks})
     * @param blockSize        bytes per block, from the capacity line
     * @param random           {@code performing RANDOM READ} (else SEQUENTIAL)
     * @param inFlight         {@code with N parallel requests}
     * @param transferBytes    {@code FIXED transfer size of N blocks (B byte)}: B; for random sizes, the largest
     * @param iops             the last {@code iops average}: commands per second over the whole run
     * @param mibPerSecond     the MB/s printed beside it (2^20 bytes; iops x transfer size, rounded down)
     * @param perSecond        the per-second {@code iops current} values, in order
     * @param finished         it printed {@code finished.} (ran to its end and logged out)
     * @param aborted          it printed {@code ABORTED!} (errors, or stopped by a second signal)
     * @param overran          the runner had to stop it (see the class comment)
     * @param errors           the lines about failed commands
     * @param exitCode         its exit status (-1 when killed)
     * @param wallTime         wall time of the process
     * @param logFile          its output
     */
    public record Result(long capacityBlocks, int blockSize, boolean random, int inFlight, int transferBytes,
                         long iops, long mibPerSecond, List<Long> perSecond, boolean finished, boolean aborted,
                         boolean overran, List<String> errors, int exitCode, Duration wallTime, Path logFile) {
        public Result {
            perSecond = List.copyOf(perSecond);
            errors = List.copyOf(errors);
        }

        /** Bytes per second from the average IOPS and the fixed transfer size (exact, unlike the MB/s printed). */
        public double bytesPerSecond() {
            return (double) iops * transferBytes;
        }

        /** A clean run: it ran to its end, no command failed, and it reported an average. */
        public boolean ok() {
            return finished && !aborted && errors.isEmpty() && exitCode == 0 && iops > 0;
        }

        public String describe() {
            return String.format("iscsi-perf %s READ, %d B x QD %d: %d IOPS, %.1f MiB/s%s%s%s (log %s)",
                    random ? "random" : "sequential", transferBytes, inFlight, iops, bytesPerSecond() / (1 << 20),
                    finished ? "" : ", not finished", overran ? ", overran (stopped by the runner)" : "",
                    errors.isEmpty() ? "" : ", " + errors.size() + " errors", logFile);
        }
    }

    private static final Pattern CAPACITY = Pattern.compile("capacity is (\\d+) blocks or (\\d+) byte");
    private static final Pattern PERFORMING = Pattern.compile("performing (RANDOM|SEQUENTIAL) READ with (\\d+) parallel requests");
    private static final Pattern FIXED = Pattern.compile("FIXED transfer size of (\\d+) blocks \\((\\d+) byte\\)");
    private static final Pattern RANDOM_SIZE = Pattern.compile("RANDOM transfer size of 1 - (\\d+) blocks \\((\\d+) - (\\d+) byte\\)");
    private static final Pattern CURRENT = Pattern.compile("iops current (\\d+) \\(");
    private static final Pattern AVERAGE = Pattern.compile("iops average (\\d+) \\((\\d+) MB/s\\)");
    private static final Pattern ERROR = Pattern.compile("(?i)(failed|error|maximum number of command retries)");

    private IscsiPerf() {
    }

    /** Whether the tool is installed (Debian: {@code apt-get install libiscsi-bin}). */
    public static boolean installed() {
        return Processes.onPath("iscsi-perf");
    }

    /** Runs it, logging to {@code target/iscsi-logs/NAME.log}. */
    public static Result run(Options o, String name) throws IOException, InterruptedException {
        Path log = IscsiLogs.dir().resolve(IscsiLogs.sanitize(name) + ".log");
        Files.createDirectories(log.getParent());
        Files.deleteIfExists(log);
        long t0 = System.nanoTime();
        Process p = Processes.startLogged(o.command(), log);
        // Its own clock ends the run; allow for login and a slow last second before stepping in.
        Duration grace = Duration.ofSeconds(15);
        boolean exited = p.waitFor(o.runtime().plus(grace).toMillis(), TimeUnit.MILLISECONDS);
        boolean overran = false;
        if (!exited) {
            overran = true;
            Processes.signal(p.pid(), "INT");
            exited = p.waitFor(10, TimeUnit.SECONDS);
            if (!exited) {
                Processes.killGroup(p);
            }
        }
        Duration wall = Duration.ofNanos(System.nanoTime() - t0);
        String out = Files.readString(log, StandardCharsets.ISO_8859_1);
        Result r = parse(out, exited ? p.exitValue() : -1, overran, wall, log);
        logger.info("{}: {}", name, r.describe());
        return r;
    }

    /** Reads iscsi-perf's output (with or without {@code -l}: carriage returns count as line ends). */
    public static Result parse(String out, int exitCode, boolean overran, Duration wallTime, Path logFile) {
        long capacity = -1;
        int blockSize = -1;
        boolean random = false;
        int inFlight = -1;
        int transfer = -1;
        List<Long> perSecond = new ArrayList<>();
        OptionalLong iops = OptionalLong.empty();
        long mib = 0;
        boolean finished = false;
        boolean aborted = false;
        List<String> errors = new ArrayList<>();
        for (String raw : out.split("\r\n|\r|\n")) {
            String line = raw.strip();
            Matcher m;
            if ((m = CAPACITY.matcher(line)).find()) {
                capacity = Long.parseLong(m.group(1));
                blockSize = capacity > 0 ? (int) (Long.parseLong(m.group(2)) / capacity) : -1;
            } else if ((m = PERFORMING.matcher(line)).find()) {
                random = m.group(1).equals("RANDOM");
                inFlight = Integer.parseInt(m.group(2));
            } else if ((m = FIXED.matcher(line)).find()) {
                transfer = Integer.parseInt(m.group(2));
            } else if ((m = RANDOM_SIZE.matcher(line)).find()) {
                transfer = Integer.parseInt(m.group(3));
            } else if (line.equals("finished.")) {
                finished = true;
            } else if (line.equals("ABORTED!")) {
                aborted = true;
            } else {
                Matcher c = CURRENT.matcher(line);
                if (c.find()) {
                    perSecond.add(Long.parseLong(c.group(1)));
                }
                Matcher a = AVERAGE.matcher(line);
                if (a.find()) {
                    iops = OptionalLong.of(Long.parseLong(a.group(1)));
                    mib = Long.parseLong(a.group(2));
                } else if (!line.isEmpty() && ERROR.matcher(line).find()) {
                    errors.add(line);
                }
            }
        }
        return new Result(capacity, blockSize, random, inFlight, transfer, iops.orElse(0), mib, perSecond,
                finished, aborted, overran, errors, exitCode, wallTime, logFile);
    }
}
