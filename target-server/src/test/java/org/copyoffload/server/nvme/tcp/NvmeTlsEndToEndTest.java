package org.copyoffload.server.nvme.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.NvmeTransportException;
import org.copyoffload.initiator.nvme.TlsOptions;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.copy.CopyCommand;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.protocol.nvme.log.DiscoveryLogEntry;
import org.copyoffload.protocol.nvme.log.DiscoveryLogPage;
import org.copyoffload.protocol.nvme.tls.ConfiguredPsk;
import org.copyoffload.protocol.nvme.tls.PskDerivation;
import org.copyoffload.protocol.nvme.tls.PskHash;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.TestServer;
import org.copyoffload.server.config.ConfigLoader;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java host against the target over NVMe/TCP TLS 1.3 with PSKs, on loopback: whole sessions (admin and I/O
 * queues, Write, Read, Copy) with both cipher suites, both identity versions and data digests on top; a wrong key,
 * an unknown host and a plaintext connect to a TLS-required listener refused and counted; an optional listener
 * taking both; discovery advertising TREQ and TSAS.
 */
@ExtendWith(LeakDetectionExtension.class)
class NvmeTlsEndToEndTest {
    static final String SUB = "nqn.2026-01.org.copyoffload:tls";
    static final String HOST256 = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000256";
    static final String HOST384 = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000384";
    static final String STRANGER = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000dead";
    static final ConfiguredPsk KEY256 = key(PskHash.SHA256, 256);
    static final ConfiguredPsk KEY384 = key(PskHash.SHA384, 384);
    static final int LBA = 4096;

    static {
        TestServer.class.getName(); // quiet logging and the leak check, as the other end-to-end tests have them
    }

    @TempDir
    static Path dir;
    static CopyoffloadServer server;
    static InetSocketAddress required;
    static InetSocketAddress optional;
    static long nextLba;

    static ConfiguredPsk key(PskHash hash, int seed) {
        byte[] k = new byte[hash.length()];
        new Random(seed).nextBytes(k);
        return new ConfiguredPsk(hash, k);
    }

    @BeforeAll
    static void start() throws Exception {
        String keys = """
                    tls-keys:
                      - {host: %s, subsystem: %s, key: "%s"}
                      - {host: %s, subsystem: %s, key: "%s"}
                """.formatted(HOST256, SUB, KEY256.toInterchange(), HOST384, SUB, KEY384.toInterchange());
        String yaml = """
                data-dir: %s
                listeners:
                  - address: 127.0.0.1
                    port: 0
                    tls: required
                %s  - address: 127.0.0.2
                    port: 0
                    tls: optional
                %svolumes:
                  - {name: v, size: 64MiB, block-size: 4096}
                subsystems:
                  - nqn: %s
                    namespaces: [{nsid: 1, volume: v}]
                  - nqn: %s2
                    namespaces: [{nsid: 1, volume: v}]
                """.formatted(dir, keys, keys, SUB, SUB);
        server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"));
        required = server.nvmeAddresses().get(0);
        optional = server.nvmeAddresses().get(1);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static synchronized long allocate(int blocks) {
        long lba = nextLba;
        nextLba += blocks;
        return lba;
    }

    static HostOptions.Builder options(InetSocketAddress address, String host) {
        return HostOptions.builder(address, SUB).hostNqn(host).ioQueues(2).connectTimeout(TestServer.TIMEOUT)
                .commandTimeout(TestServer.TIMEOUT);
    }

    double handshakes(String outcome, String suite) {
        Counter c = server.registry().find("copyoffload.nvme.tcp.tls.handshakes").tag("outcome", outcome)
                .tag("suite", suite).counter();
        return c == null ? 0 : c.count();
    }

    @ParameterizedTest(name = "{0} identity v{1} data digest {2}")
    @CsvSource({"SHA256, 0, false, TLS_AES_128_GCM_SHA256", "SHA384, 0, false, TLS_AES_256_GCM_SHA384",
            "SHA256, 1, true, TLS_AES_128_GCM_SHA256", "SHA384, 1, true, TLS_AES_256_GCM_SHA384"})
    void wholeSessionOverTls(PskHash hash, int identityVersion, boolean dataDigest, String suite) throws Exception {
        String host = hash == PskHash.SHA256 ? HOST256 : HOST384;
        ConfiguredPsk key = hash == PskHash.SHA256 ? KEY256 : KEY384;
        double before = handshakes("success", suite);
        HostOptions options = options(required, host).dataDigest(dataDigest).headerDigest(dataDigest)
                .tls(new TlsOptions(key, identityVersion, PskDerivation.LabelForm.LIBNVME)).build();
        try (NvmeTcpHost h = NvmeTcpHost.connect(options)) {
            assertThat(h.identifyController().subnqn()).isEqualTo(SUB);
            int blocks = 256; // 1 MiB: a read this large goes out by sendfile on a plain connection
            long lba = allocate(2 * blocks);
            byte[] data = new byte[blocks * LBA];
            new Random(identityVersion * 10 + hash.code()).nextBytes(data);
            h.write(0, 1, lba, Unpooled.wrappedBuffer(data), LBA, false).get(10, TimeUnit.SECONDS);
            ByteBuf back = h.read(1, 1, lba, blocks, LBA).get(10, TimeUnit.SECONDS);
            try {
                assertThat(ByteBufUtil.getBytes(back)).isEqualTo(data);
            } finally {
                back.release();
            }
            CopySourceRange range = CopySourceRange.of(CopyDescriptorFormat.FORMAT_0, lba, blocks);
            try (Completion c = h.submitIo(0, CopyCommand.builder().nsid(1).sdlba(lba + blocks).desfmt(0).ranges(1)
                    .build().toSqe(0), CopySourceRange.encodeList(List.of(range)), 0).get(10, TimeUnit.SECONDS)) {
                assertThat(c.status()).isEqualTo(NvmeStatus.SUCCESS);
            }
            ByteBuf copied = h.read(0, 1, lba + blocks, blocks, LBA).get(10, TimeUnit.SECONDS);
            try {
                assertThat(ByteBufUtil.getBytes(copied)).isEqualTo(data);
            } finally {
                copied.release();
            }
        }
        // Admin queue and two I/O queues: three handshakes with the key's suite.
        assertThat(handshakes("success", suite) - before).isEqualTo(3);
    }

    @Test
    void wrongKeyFailsTheHandshakeAndIsCounted() {
        double before = handshakes("failure", "none");
        HostOptions options = options(required, HOST256).tls(TlsOptions.of(key(PskHash.SHA256, 999))).build();
        assertThatThrownBy(() -> NvmeTcpHost.connect(options)).isInstanceOf(NvmeTransportException.class)
                .hasMessageContaining("TLS handshake").hasMessageContaining("failed");
        awaitCount("failure", before + 1);
    }

    @Test
    void hostWithoutAKeyIsRefused() {
        double before = handshakes("failure", "none");
        HostOptions options = options(required, STRANGER).tls(TlsOptions.of(KEY256)).build();
        assertThatThrownBy(() -> NvmeTcpHost.connect(options)).isInstanceOf(NvmeTransportException.class)
                .hasMessageContaining("TLS handshake");
        awaitCount("failure", before + 1);
    }

    @Test
    void plaintextConnectToARequiredListenerIsRefused() {
        double before = handshakes("plaintext_refused", "none");
        assertThatThrownBy(() -> NvmeTcpHost.connect(options(required, HOST256).build()))
                .isInstanceOf(NvmeTransportException.class);
        awaitCount("plaintext_refused", before + 1);
    }

    @ParameterizedTest(name = "seed {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3, 4, 5})
    void garbageAfterATlsRecordTypeClosesOnlyThatConnection(int seed) throws Exception {
        double before = handshakes("failure", "none");
        Random r = new Random(seed);
        // One whole record of type handshake (so the TLS handler takes it), any version, a random body: an incomplete
        // record would be waited for (until the 15 s setup timeout).
        byte[] junk = new byte[5 + 1 + r.nextInt(4000)];
        r.nextBytes(junk);
        junk[0] = 0x16;
        junk[3] = (byte) ((junk.length - 5) >> 8);
        junk[4] = (byte) (junk.length - 5);
        try (java.net.Socket s = new java.net.Socket(required.getAddress(), required.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(junk);
            s.getOutputStream().flush();
            // The target answers with at most an alert, then closes.
            byte[] buf = new byte[4096];
            int total = 0;
            for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                total += n;
            }
            assertThat(total).isLessThan(64);
        } catch (java.net.SocketException reset) {
            // closed with unread input: a reset, which is a close too
        }
        awaitCount("failure", before + 1);
        // A good host is still served.
        try (NvmeTcpHost h = NvmeTcpHost.connect(options(required, HOST256).ioQueues(1).tls(TlsOptions.of(KEY256)).build())) {
            assertThat(h.identifyController().subnqn()).isEqualTo(SUB);
        }
    }

    @Test
    void optionalListenerTakesPlaintextAndTls() throws Exception {
        for (TlsOptions tls : new TlsOptions[] {null, TlsOptions.of(KEY256)}) {
            try (NvmeTcpHost h = NvmeTcpHost.connect(options(optional, HOST256).ioQueues(1).tls(tls).build())) {
                long lba = allocate(64);
                byte[] data = new byte[64 * LBA];
                new Random(5).nextBytes(data);
                h.write(0, 1, lba, Unpooled.wrappedBuffer(data), LBA, false).get(10, TimeUnit.SECONDS);
                ByteBuf back = h.read(0, 1, lba, 64, LBA).get(10, TimeUnit.SECONDS);
                try {
                    assertThat(ByteBufUtil.getBytes(back)).isEqualTo(data);
                } finally {
                    back.release();
                }
            }
        }
    }

    @Test
    void discoveryAdvertisesTlsPerListener() {
        DiscoveryLogPage page = NvmeTcpHost.discover(optional, HOST256);
        for (DiscoveryLogEntry e : page.entries()) {
            assertThat(e.tsasSectype()).as("TSAS SECTYPE of %s", e).isEqualTo(DiscoveryLogEntry.SECTYPE_TLS13);
            int secure = e.treq() & 0x3;
            assertThat(secure).as("TREQ of %s", e).isEqualTo(Integer.parseInt(e.trsvcid()) == required.getPort()
                    ? DiscoveryLogEntry.TREQ_REQUIRED : DiscoveryLogEntry.TREQ_NOT_REQUIRED);
        }
        assertThat(page.entries()).extracting(DiscoveryLogEntry::trsvcid)
                .contains(Integer.toString(required.getPort()), Integer.toString(optional.getPort()));
    }

    @ParameterizedTest(name = "Connect as {0} to {1}")
    @CsvSource({"nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000dead, nqn.2026-01.org.copyoffload:tls",
            "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000256, nqn.2026-01.org.copyoffload:tls2"})
    void tlsSessionConnectsOnlyItsIdentitysHostToItsSubsystem(String hostNqn, String subNqn) {
        // The queue's TLS session was authenticated as HOST256 for SUB; a Connect naming anything else is refused.
        org.copyoffload.server.nvme.QueueConnection queue = new org.copyoffload.server.nvme.QueueConnection() {
            @Override
            public void close(String reason) {
            }

            @Override
            public String describe() {
                return "test queue";
            }

            @Override
            public org.copyoffload.protocol.nvme.tls.PskIdentity tlsIdentity() {
                return org.copyoffload.protocol.nvme.tls.PskIdentity.retained(PskHash.SHA256, HOST256, SUB);
            }
        };
        var data = new org.copyoffload.protocol.nvme.fabrics.ConnectData(new byte[16], 0xFFFF, subNqn, hostNqn);
        var command = new org.copyoffload.protocol.nvme.fabrics.ConnectCommand(0, 0, 31, 0, 0);
        assertThatThrownBy(() -> server.target().fabrics().connect(command, data, queue))
                .isInstanceOfSatisfying(org.copyoffload.server.nvme.NvmeCommandException.class, e -> assertThat(
                        e.status()).isEqualTo(org.copyoffload.protocol.nvme.StatusCode.CONNECT_INVALID_HOST.dnr()))
                .hasMessageContaining("PSK identity NVMe0R01 " + HOST256 + " " + SUB);
    }

    private void awaitCount(String outcome, double expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (handshakes(outcome, "none") < expected && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(handshakes(outcome, "none")).isEqualTo(expected);
    }
}
