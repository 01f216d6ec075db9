package org.copyoffload.server;

import org.copyoffload.testsupport.LeakDetectionExtension;
import ch.qos.logback.classic.Level;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.RawNvmeTcpConnection;
import org.copyoffload.server.config.ConfigLoader;
import org.slf4j.LoggerFactory;

/**
 * A running target on a temporary data directory for end-to-end tests: two subsystems and the discovery
 * subsystem on one loopback listener (port 0), metrics only in the registry. {@link #NQN} has a 4 KiB-LBA
 * namespace (NSID 1) and a 512-byte-LBA namespace (NSID 2); NSIDs 3..32 are valid but inactive (NN is 32).
 * {@link #RESTRICTED_NQN} advertises NVMe 1.4 and lets only {@link #ALLOWED_HOST} in.
 *
 * <p>Tests of one class share a server, so each takes its own LBAs with {@link #allocate}.
 */
public final class TestServer implements AutoCloseable {
    public static final String NQN = "nqn.2026-01.org.copyoffload:test";
    public static final String RESTRICTED_NQN = "nqn.2026-01.org.copyoffload:restricted";
    public static final String ALLOWED_HOST = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000000a1";
    public static final String DISCOVERY_NQN = ConfigLoader.DISCOVERY_NQN;
    public static final int NS_4K = 1;
    public static final int NS_512 = 2;
    public static final long NS_4K_BYTES = 256L << 20;
    public static final long NS_512_BYTES = 64L << 20;
    /** NN in Identify Controller: the largest NSID that may be valid. */
    public static final int NN = 32;
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** MDTS 8: 1 MiB. */
    public static final int MAX_TRANSFER = 1 << 20;
    /** IOCCSZ * 16 - 64: the default in-capsule data size, 128 KiB. */
    public static final int IN_CAPSULE = 131072;
    public static final int MAX_QUEUE_ENTRIES = 128;
    public static final int MAX_IO_QUEUES = 64;

    static {
        LeakDetectionExtension.install();
        // The errors these tests provoke are logged as warnings; keep the output to real failures.
        if (System.getProperty("copyoffload.log.level") == null) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.ERROR);
        }
    }

    private final CopyoffloadServer server;
    private final Path dataDir;
    private final Map<Integer, AtomicLong> nextLba = new ConcurrentHashMap<>();

    private TestServer(CopyoffloadServer server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
    }

    public static String defaultYaml(Path dataDir) {
        return """
                data-dir: %s
                nvme:
                  version: "2.1"
                listeners:
                  - address: 127.0.0.1
                    port: 0
                metrics: {enabled: false}
                volumes:
                  - {name: big, size: 256MiB, block-size: 4096}
                  - {name: small, size: 64MiB, block-size: 512}
                  - {name: old, size: 1MiB, block-size: 4096}
                subsystems:
                  - nqn: %s
                    namespaces:
                      - {nsid: 1, volume: big}
                      - {nsid: 2, volume: small}
                  - nqn: %s
                    nvme-version: "1.4"
                    allow-any-host: false
                    allowed-hosts: [%s]
                    namespaces:
                      - {nsid: 1, volume: old}
                """.formatted(dataDir, NQN, RESTRICTED_NQN, ALLOWED_HOST);
    }

    public static TestServer start(Path dataDir) {
        return start(dataDir, defaultYaml(dataDir));
    }

    public static TestServer start(Path dataDir, String yaml) {
        return start(dataDir, yaml, java.util.function.UnaryOperator.identity());
    }

    /** A server whose volume stores pass through {@code wrap} first (fault injection). */
    public static TestServer start(Path dataDir, String yaml,
                                   java.util.function.UnaryOperator<org.copyoffload.backends.store.BlockStore> wrap) {
        try {
            return new TestServer(CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"), wrap), dataDir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public CopyoffloadServer server() {
        return server;
    }

    public Path dataDir() {
        return dataDir;
    }

    public InetSocketAddress address() {
        return server.nvmeAddresses().get(0);
    }

    public HostOptions.Builder options(String nqn) {
        return HostOptions.builder(address(), nqn).connectTimeout(TIMEOUT).commandTimeout(TIMEOUT);
    }

    /** A host on {@link #NQN} with {@code ioQueues} I/O queues. */
    public NvmeTcpHost connect(int ioQueues) {
        return NvmeTcpHost.connect(options(NQN).ioQueues(ioQueues).build());
    }

    public NvmeTcpHost connect(HostOptions options) {
        return NvmeTcpHost.connect(options);
    }

    /** A raw connection; nothing sent yet. */
    public RawNvmeTcpConnection raw() {
        return RawNvmeTcpConnection.open(address(), TIMEOUT);
    }

    /** A raw connection after ICReq/ICResp. */
    public RawNvmeTcpConnection rawInitialized(boolean headerDigest, boolean dataDigest) {
        RawNvmeTcpConnection c = raw();
        try {
            c.initialize(headerDigest, dataDigest, TIMEOUT);
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** {@code blocks} LBAs of the namespace no other test of this server uses. */
    public long allocate(int nsid, int blocks) {
        long lbaSize = nsid == NS_4K ? 4096 : 512;
        long limit = (nsid == NS_4K ? NS_4K_BYTES : NS_512_BYTES) / lbaSize;
        // From 1 MiB on (below is for tests of the first LBAs), in 64 KiB steps so that deallocating an
        // allocation frees whole filesystem blocks.
        long start = nextLba.computeIfAbsent(nsid, n -> new AtomicLong((1 << 20) / lbaSize))
                .getAndAdd(roundUp(blocks, (int) (65536 / lbaSize)));
        if (start + blocks > limit) {
            throw new IllegalStateException("namespace " + nsid + " is used up by this test class");
        }
        return start;
    }

    private static long roundUp(long value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }

    public static int lbaSize(int nsid) {
        return nsid == NS_4K ? 4096 : 512;
    }

    public static long blockCount(int nsid) {
        return nsid == NS_4K ? NS_4K_BYTES / 4096 : NS_512_BYTES / 512;
    }

    /** Open NVMe/TCP connections the target counts. */
    public double connections() {
        return server.registry().get("copyoffload.nvme.tcp.connections").gauge().value();
    }

    @Override
    public void close() {
        server.close();
    }

    // ---- small helpers shared by the tests ----

    public static byte[] randomBytes(Random random, int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    public static ByteBuf buffer(byte[] bytes) {
        return Unpooled.wrappedBuffer(bytes.clone());
    }

    /** The buffer's readable bytes; the buffer is released. */
    public static byte[] bytesOf(ByteBuf b) {
        try {
            byte[] out = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), out);
            return out;
        } finally {
            b.release();
        }
    }

    public static void eventually(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    public static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
