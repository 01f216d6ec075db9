package org.copyoffload.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.TestServer.NS_4K;

import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.copyoffload.initiator.TrafficByKind;
import org.copyoffload.initiator.iscsi.IscsiOptions;
import org.copyoffload.initiator.iscsi.IscsiSession;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.copyoffload.testsupport.PrometheusText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target's per-connection series ({@code copyoffload_connection_bytes_total} and {@code _pdus_total}, tagged
 * with the peer's address) agree byte for byte, headers and data apart, with what the Java initiators counted on
 * their own sockets, for NVMe/TCP (admin and I/O queues, in-capsule and R2T writes, reads) and iSCSI (with
 * digests, so headers include them); and they disappear when the connection closes.
 */
@ExtendWith(LeakDetectionExtension.class)
class ConnectionMetricsTest {
    private static final String BYTES = "copyoffload_connection_bytes_total";
    private static final String PDUS = "copyoffload_connection_pdus_total";
    private static final String IQN = "iqn.2026-01.org.copyoffload:metrics";

    @Test
    void nvmeConnectionSeriesAgreeWithTheHostsCountersAndGoAwayOnClose(@TempDir Path dir) throws Exception {
        String yaml = TestServer.defaultYaml(dir).replace("metrics: {enabled: false}", "metrics: {enabled: true, port: 0}");
        try (TestServer server = TestServer.start(dir, yaml)) {
            Set<String> peers;
            try (NvmeTcpHost host = server.connect(2)) {
                peers = addresses(host.localAddresses());
                Random random = new Random(3);
                long lba = server.allocate(NS_4K, 32);
                for (int q = 0; q < 2; q++) {
                    // In-capsule (one block) and by R2T (16 blocks); reads of both.
                    host.write(q, NS_4K, lba, Unpooled.wrappedBuffer(TestServer.randomBytes(random, 4096)), 4096, false).get();
                    host.write(q, NS_4K, lba + 1, Unpooled.wrappedBuffer(TestServer.randomBytes(random, 16 * 4096)), 4096,
                            false).get();
                    host.read(q, NS_4K, lba, 17, 4096).get().release();
                }
                host.identifyController();
                PrometheusText m = PrometheusText.parse(server.server().registry().scrape());
                assertThat(m.named(PDUS, s -> "nvme-tcp".equals(s.label("transport")) && "in".equals(s.label("direction")))
                        .stream().map(s -> s.label("peer")).collect(Collectors.toSet()))
                        .as("one series per connection: admin and two I/O queues").isEqualTo(peers);
                assertAgree(m, "nvme-tcp", peers, host.traffic().snapshot());
                assertThat(host.traffic().snapshot().dataBytesSent()).as("writes and Connect data")
                        .isEqualTo(2 * 17 * 4096 + 3 * 1024);
            }
            TestServer.eventually("the closed connections' series removed", TestServer.TIMEOUT, () -> PrometheusText
                    .parse(server.server().registry().scrape()).named(BYTES, s -> peers.contains(s.label("peer"))).isEmpty());
        }
    }

    @Test
    void iscsiConnectionSeriesAgreeWithTheSessionsCountersAndGoAwayOnClose(@TempDir Path dir) throws Exception {
        String yaml = """
                data-dir: %s
                listeners: []
                metrics: {enabled: true, port: 0}
                volumes:
                  - {name: a, size: 16MiB, block-size: 4096}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0}]
                  max-recv-data-segment-length: 8192
                  targets: [{name: %s, luns: [{lun: 0, volume: a}]}]
                """.formatted(dir, IQN);
        try (TestServer server = TestServer.start(dir, yaml)) {
            IscsiOptions options = IscsiOptions.of(server.server().iscsiAddresses().getFirst(), IQN)
                    .withTimeouts(TestServer.TIMEOUT, TestServer.TIMEOUT).withDigests(true, true);
            Set<String> peer;
            try (IscsiSession s = IscsiSession.login(options)) {
                peer = addresses(java.util.List.of(s.localAddress()));
                Random random = new Random(4);
                // 100 KiB: immediate data, then R2Ts and several Data-Out PDUs; then a read in several Data-In PDUs.
                s.write16(0, 8, Unpooled.wrappedBuffer(TestServer.randomBytes(random, 25 * 4096)), 4096, false).get();
                s.read16(0, 8, 25, 4096).get().release();
                PrometheusText m = PrometheusText.parse(server.server().registry().scrape());
                assertAgree(m, "iscsi", peer, s.traffic().snapshot());
                assertThat(s.traffic().snapshot().dataBytesReceived()).as("read data and login text")
                        .isGreaterThanOrEqualTo(25 * 4096);
            }
            TestServer.eventually("the closed connection's series removed", TestServer.TIMEOUT, () -> PrometheusText
                    .parse(server.server().registry().scrape()).named(BYTES, x -> peer.contains(x.label("peer"))).isEmpty());
        }
    }

    /** The server's in is the host's sent, its out the host's received: PDUs, header bytes and data bytes. */
    private static void assertAgree(PrometheusText m, String transport, Set<String> peers, TrafficByKind<?> host) {
        Predicate<PrometheusText.Sample> ours = s -> transport.equals(s.label("transport")) && peers.contains(s.label("peer"));
        assertThat(m.sum(BYTES, ours.and(s -> is(s, "in", "data")))).as("data in").isEqualTo(host.dataBytesSent());
        assertThat(m.sum(BYTES, ours.and(s -> is(s, "in", "header")))).as("header bytes in")
                .isEqualTo(host.bytesSent() - host.dataBytesSent());
        assertThat(m.sum(BYTES, ours.and(s -> is(s, "out", "data")))).as("data out").isEqualTo(host.dataBytesReceived());
        assertThat(m.sum(BYTES, ours.and(s -> is(s, "out", "header")))).as("header bytes out")
                .isEqualTo(host.bytesReceived() - host.dataBytesReceived());
        assertThat(m.sum(PDUS, ours.and(s -> "in".equals(s.label("direction"))))).as("PDUs in").isEqualTo(host.pdusSent());
        assertThat(m.sum(PDUS, ours.and(s -> "out".equals(s.label("direction"))))).as("PDUs out")
                .isEqualTo(host.pdusReceived());
        assertThat(host.bytesSent() - host.dataBytesSent()).as("headers were counted").isPositive();
    }

    private static boolean is(PrometheusText.Sample s, String direction, String part) {
        return direction.equals(s.label("direction")) && part.equals(s.label("part"));
    }

    private static Set<String> addresses(java.util.List<InetSocketAddress> local) {
        return local.stream().map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).collect(Collectors.toSet());
    }
}
