package org.copyoffload.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Random;
import org.copyoffload.initiator.copy.CopyCapableDevice.Outcome;
import org.copyoffload.initiator.copy.NvmeNamespaceDevice;
import org.copyoffload.initiator.iscsi.IscsiOptions;
import org.copyoffload.initiator.iscsi.IscsiSession;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.log.DiscoveryLogEntry;
import org.copyoffload.protocol.nvme.log.DiscoveryLogPage;
import org.copyoffload.testcontainers.CopyOffloadTargetContainer.IscsiTarget;
import org.copyoffload.testcontainers.CopyOffloadTargetContainer.Subsystem;
import org.copyoffload.testcontainers.CopyOffloadTargetContainer.Volume;
import org.copyoffload.testsupport.PrometheusText;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image started through {@link CopyOffloadTargetContainer} with a fluent configuration (Docker API of
 * {@code podman system service}, see docker/pom.xml): our Java NVMe/TCP host connects to the mapped port,
 * writes, copies within a namespace and across namespaces with NVMe Copy, reads back; the same volume read
 * as an iSCSI LUN through the mapped iSCSI port; discovery advertises the test's address; the metrics,
 * read through the mapped port, count the Copy commands.
 */
class CopyOffloadTargetContainerTest {
    static final String NQN = "nqn.2026-01.org.example:copy";
    static final String IQN = "iqn.2026-01.org.example:copy";
    static final String HOST_NQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000000c1";
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    static CopyOffloadTargetContainer target;
    static long startMillis;

    @BeforeAll
    static void start() {
        target = new CopyOffloadTargetContainer(System.getProperty("copyoffload.image",
                "localhost/copyoffload-target:latest"))
                .withVolume(Volume.conventional("data", "64MiB", 4096))
                .withVolume(Volume.conventional("copies", "64MiB", 4096))
                .withVolume(Volume.zoned("zones", "64MiB", 4096, "16MiB"))
                .withSubsystem(Subsystem.of(NQN)
                        .withNamespace(1, "data")
                        .withNamespace(2, "copies")
                        .withNamespace(3, "zones")
                        .withCrossNamespaceCopyAtConnect()
                        .withAllowedHosts(HOST_NQN))
                .withIscsiTarget(IscsiTarget.of(IQN).withLun(0, "data"))
                .withNvmeVersion("2.1");
        long t0 = System.nanoTime();
        target.start();
        startMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("CopyOffloadTargetContainer: start() returned ready after " + startMillis + " ms");
    }

    @AfterAll
    static void stop() {
        if (target != null) {
            target.stop();
        }
    }

    static NvmeTcpHost connect() {
        return NvmeTcpHost.connect(HostOptions.builder(target.getNvmeAddress(), target.getNqn())
                .hostNqn(HOST_NQN).ioQueues(2).connectTimeout(TIMEOUT).commandTimeout(TIMEOUT).build());
    }

    @Test
    void writesCopiesAndReadsBackThroughTheMappedPort() throws Exception {
        byte[] data = new byte[256 * 1024];
        new Random(42).nextBytes(data);
        try (NvmeTcpHost host = connect()) {
            assertThat(host.activeNamespaces()).containsExactly(1, 2, 3);
            NvmeNamespaceDevice ns1 = NvmeNamespaceDevice.open(host, 1);
            NvmeNamespaceDevice ns2 = NvmeNamespaceDevice.open(host, 2);
            assertThat(NvmeNamespaceDevice.open(host, 3).zoned()).isTrue();
            ns1.write(0, Unpooled.wrappedBuffer(data)).get();

            // Format 0h (same namespace), then format 2h (across namespaces, enabled at Connect).
            assertThat(ns1.refusesCopyFrom(ns1)).isEmpty();
            Outcome within = ns1.copyFrom(ns1, 0, 8 << 20, data.length).get();
            assertThat(within.shortBecause()).isNull();
            assertThat(within.copied()).isEqualTo(data.length);
            assertThat(ns2.refusesCopyFrom(ns1)).isEmpty();
            Outcome across = ns2.copyFrom(ns1, 0, 4 << 20, data.length).get();
            assertThat(across.shortBecause()).isNull();
            assertThat(across.copied()).isEqualTo(data.length);

            assertThat(bytes(ns1.read(8 << 20, data.length).get())).isEqualTo(data);
            assertThat(bytes(ns2.read(4 << 20, data.length).get())).isEqualTo(data);
        }

        // The volume behind namespace 1 is LUN 0 of the iSCSI target: the same bytes through the iSCSI port.
        try (IscsiSession iscsi = IscsiSession.login(IscsiOptions.of(
                new InetSocketAddress(target.getHost(), target.getIscsiPort()), target.getIqns().getFirst()))) {
            assertThat(bytes(iscsi.read16(0, (8 << 20) / 4096, data.length / 4096, 4096).get())).isEqualTo(data);
        }

        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(target.getMetricsUrl()))
                .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(PrometheusText.parse(metrics).sum("copyoffload_nvme_copy_commands_total", s -> true))
                .as("Copy commands counted in\n%s", metrics).isGreaterThanOrEqualTo(2);
    }

    @Test
    void discoveryAdvertisesTheTestsAddressAndTheMappedPorts() throws Exception {
        DiscoveryLogPage page = NvmeTcpHost.discover(HostOptions.builder(target.getNvmeAddress(),
                HostOptions.DISCOVERY_NQN).hostNqn(HOST_NQN).connectTimeout(TIMEOUT).commandTimeout(TIMEOUT).build());
        String address = InetAddress.getByName(target.getHost()).getHostAddress();
        assertThat(page.entries()).filteredOn(e -> e.subtype() == DiscoveryLogEntry.SUBTYPE_NVM)
                .extracting(DiscoveryLogEntry::subnqn, DiscoveryLogEntry::traddr, DiscoveryLogEntry::trsvcid)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(NQN, address, String.valueOf(target.getNvmePort())));
        // A host that follows the log page's entry reaches the subsystem.
        DiscoveryLogEntry entry = page.entries().stream().filter(e -> e.subnqn().equals(NQN)).findFirst().orElseThrow();
        try (NvmeTcpHost host = NvmeTcpHost.connect(HostOptions.builder(new InetSocketAddress(entry.traddr(),
                Integer.parseInt(entry.trsvcid())), entry.subnqn()).hostNqn(HOST_NQN).ioQueues(1)
                .connectTimeout(TIMEOUT).commandTimeout(TIMEOUT).build())) {
            assertThat(host.activeNamespaces()).containsExactly(1, 2, 3);
        }
        // iSCSI SendTargets reports the mapped portal too.
        assertThat(IscsiSession.discover(IscsiOptions.discovery(new InetSocketAddress(target.getHost(),
                target.getIscsiPort())))).singleElement().satisfies(t -> {
                    assertThat(t.name()).isEqualTo(IQN);
                    assertThat(t.addresses()).containsExactly(address + ":" + target.getIscsiPort() + ",1");
                });
    }

    @Test
    void otherHostsAreRefused() {
        HostOptions other = HostOptions.builder(target.getNvmeAddress(), target.getNqn())
                .hostNqn("nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000000c2")
                .connectTimeout(TIMEOUT).commandTimeout(TIMEOUT).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NvmeTcpHost.connect(other).close())
                .hasMessageContaining("CONNECT_INVALID_HOST");
    }

    @Test
    void gettersNameWhatIsServed() {
        assertThat(target.getNqns()).containsExactly(NQN);
        assertThat(target.getIqns()).containsExactly(IQN);
        assertThat(target.getNvmePort()).isEqualTo(target.getMappedPort(CopyOffloadTargetContainer.NVME_PORT));
        assertThat(target.getMetricsUrl()).endsWith(":" + target.getMappedPort(CopyOffloadTargetContainer.METRICS_PORT)
                + "/metrics");
    }

    static byte[] bytes(ByteBuf buf) {
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }
}
