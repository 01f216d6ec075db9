package org.copyoffload.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;

/**
 * {@code bench --only flood}: the target in its own process, as {@code ./copyoffload serve} runs it, under a flood of
 * loopback connections that each send garbage (an 8-byte header of an unknown PDU type, or random bytes) and connect
 * again when the target closes them, {@code connections} at a time for the flood's length. Beside it a well-behaved
 * host reads 4 KiB at queue depth 1 before, during and after the flood. Reported: the target's resident memory
 * (VmRSS) before, at its peak, after (the host still reading) and after a quiet while, the host's read latency in each
 * phase (and whether every read succeeded),
 * the connections the flood made, and the lines the target logged (its warnings about bad peers are rate-limited).
 */
final class FloodBenchmark {
    private static final String NQN = "nqn.2026-01.org.copyoffload:flood";

    private final Path dir;
    private final int connections;
    private final Duration flood;
    private final BenchReport report;

    FloodBenchmark(Path dir, int connections, Duration flood, BenchReport report) {
        this.dir = dir;
        this.connections = connections;
        this.flood = flood;
        this.report = report;
    }

    void run() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("flood.yaml");
        Files.writeString(config, """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: %d}]
                metrics: {enabled: false}
                volumes: [{name: v, size: 64MiB, block-size: 4096}]
                subsystems: [{nqn: %s, namespaces: [{nsid: 1, volume: v}]}]
                """.formatted(dir, port, NQN));
        Path log = dir.resolve("server.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        // The JVM options of ./copyoffload serve (native access, COPYOFFLOAD_JAVA_OPTS), so the memory is what a user's
        // target would take.
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-XX:G1PeriodicGCInterval=10000"));
        String extra = System.getenv("COPYOFFLOAD_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.copyoffload.server.cli.CopyoffloadCli",
                "serve", "--config", config.toString()));
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (NvmeTcpHost host = connect(server, port)) {
            host.write(0, 1, 0, Unpooled.wrappedBuffer(new byte[4096]), 4096, false).get(30, TimeUnit.SECONDS);
            Sampler sampler = new Sampler(server.pid());
            sampler.start();
            Reader reader = new Reader(host);
            reader.start();
            Thread.sleep(5000);
            long rssBefore = sampler.current();
            long linesBefore = lines(log);
            reader.phase(1);
            sampler.peak.set(0);
            Flood f = new Flood(group, new InetSocketAddress("127.0.0.1", port));
            long end = System.nanoTime() + flood.toNanos();
            f.start(connections);
            while (System.nanoTime() < end) {
                Thread.sleep(100);
            }
            f.stop();
            long rssPeak = sampler.peak.get();
            long floodLines = lines(log) - linesBefore;
            reader.phase(2);
            Thread.sleep(15_000);
            long rssAfter = sampler.current();
            reader.finish();
            // Idle: no host I/O, so no collections but G1's periodic one, which returns unused heap to the system.
            Thread.sleep(25_000);
            long rssIdle = sampler.current();
            sampler.interrupt();
            if (!server.isAlive()) {
                throw new IllegalStateException("the target died during the flood; its log: " + log);
            }
            report.figure("flood.connections", "flood: garbage connections made", f.made.get(), "connections",
                    String.format(Locale.ROOT, "%d at a time for %d s; %d closed by the target", connections,
                            flood.toSeconds(), f.closed.get()));
            report.figure("flood.rss_before.mib", "flood: target resident memory before", rssBefore / 1024.0 / 1024, "MiB", "");
            report.figure("flood.rss_peak.mib", "flood: target resident memory at its peak", rssPeak / 1024.0 / 1024, "MiB",
                    "aim: under 512 MiB");
            report.figure("flood.rss_after.mib", "flood: target resident memory 15 s after", rssAfter / 1024.0 / 1024, "MiB",
                    "the host still reading");
            report.figure("flood.rss_idle.mib", "flood: target resident memory 25 s idle after that", rssIdle / 1024.0 / 1024,
                    "MiB", "no I/O: G1's periodic collection (-XX:G1PeriodicGCInterval=10000, as ./copyoffload serve "
                            + "runs) returns the heap the flood took");
            for (int phase = 0; phase < 3; phase++) {
                String name = new String[] {"before", "during", "after"}[phase];
                List<Long> l = reader.latencies(phase);
                report.figure("flood.read_p99_" + name + ".us", "flood: 4 KiB read latency p99, " + name,
                        percentile(l, 0.99) / 1000.0, "us", String.format(Locale.ROOT, "%d reads, p50 %.0f us, max %.0f us, "
                                + "%d failed", l.size(), percentile(l, 0.5) / 1000.0, percentile(l, 1.0) / 1000.0,
                                reader.failures[phase].get()));
            }
            report.figure("flood.log_lines", "flood: lines the target logged during the flood", floodLines, "lines",
                    "warnings about bad peers are rate-limited");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private static NvmeTcpHost connect(Process server, int port) throws Exception {
        HostOptions options = HostOptions.builder(new InetSocketAddress("127.0.0.1", port), NQN).ioQueues(1)
                .connectTimeout(Duration.ofSeconds(5)).commandTimeout(Duration.ofSeconds(30)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!server.isAlive()) {
                throw new IllegalStateException("the target exited with status " + server.exitValue());
            }
            try {
                return NvmeTcpHost.connect(options);
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    private static long lines(Path log) throws IOException {
        try (var l = Files.lines(log)) {
            return l.count();
        }
    }

    static long percentile(List<Long> values, double p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p * sorted.size()) - 1; // nearest rank
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank)));
    }

    /** VmRSS of the target every 100 ms: the current value and the peak since it was last reset. */
    private static final class Sampler extends Thread {
        private final Path status;
        final AtomicLong last = new AtomicLong();
        final AtomicLong peak = new AtomicLong();

        Sampler(long pid) {
            super("rss-sampler");
            setDaemon(true);
            this.status = Path.of("/proc/" + pid + "/status");
        }

        long current() throws IOException {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
            throw new IOException("no VmRSS in " + status);
        }

        @Override
        public void run() {
            try {
                while (!isInterrupted()) {
                    long rss = current();
                    last.set(rss);
                    peak.accumulateAndGet(rss, Math::max);
                    Thread.sleep(100);
                }
            } catch (IOException | InterruptedException e) {
                // the process ended or the benchmark is over
            }
        }
    }

    /** The well-behaved host: 4 KiB reads at queue depth 1, latencies kept per phase (0 before, 1 during, 2 after). */
    private static final class Reader extends Thread {
        private final NvmeTcpHost host;
        private volatile int phase;
        private volatile boolean running = true;
        private final List<List<Long>> latencies = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        final AtomicLong[] failures = {new AtomicLong(), new AtomicLong(), new AtomicLong()};

        Reader(NvmeTcpHost host) {
            super("flood-reader");
            this.host = host;
        }

        void phase(int p) {
            phase = p;
        }

        void finish() throws InterruptedException {
            running = false;
            join();
        }

        synchronized List<Long> latencies(int p) {
            return List.copyOf(latencies.get(p));
        }

        @Override
        public void run() {
            while (running) {
                int p = phase;
                long start = System.nanoTime();
                try {
                    host.read(0, 1, 0, 1, 4096).get(30, TimeUnit.SECONDS).release();
                    long took = System.nanoTime() - start;
                    synchronized (this) {
                        latencies.get(p).add(took);
                    }
                } catch (Exception e) {
                    failures[p].incrementAndGet();
                }
            }
        }
    }

    /** {@code n} connections at a time, each sending garbage and connecting again once the target closes it. */
    private static final class Flood {
        private final EventLoopGroup group;
        private final InetSocketAddress target;
        private final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong made = new AtomicLong();
        final AtomicLong closed = new AtomicLong();

        Flood(EventLoopGroup group, InetSocketAddress target) {
            this.group = group;
            this.target = target;
        }

        void start(int n) {
            for (int i = 0; i < n; i++) {
                open();
            }
        }

        void stop() {
            running.set(false);
        }

        private void open() {
            if (!running.get()) {
                return;
            }
            new Bootstrap().group(group).channel(NioSocketChannel.class).option(ChannelOption.SO_LINGER, 0)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            made.incrementAndGet();
                            ctx.writeAndFlush(garbage());
                        }

                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ReferenceCountUtil.release(msg);
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            closed.incrementAndGet();
                            open();
                        }

                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            ctx.close();
                        }
                    })
                    .connect(target).addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            // Refused or out of ports for a moment: try again a little later.
                            group.schedule(this::open, 10, TimeUnit.MILLISECONDS);
                        }
                    });
        }

        /** Half the time a header of an unknown PDU type, half the time 64 random bytes. */
        private static ByteBuf garbage() {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            if (r.nextBoolean()) {
                return Unpooled.wrappedBuffer(new byte[] {0x7F, 0, 8, 0, 8, 0, 0, 0});
            }
            byte[] b = new byte[64];
            r.nextBytes(b);
            return Unpooled.wrappedBuffer(b);
        }
    }
}
