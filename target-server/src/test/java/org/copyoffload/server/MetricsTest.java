package org.copyoffload.server;

import org.copyoffload.testsupport.LeakDetectionExtension;
import org.copyoffload.testsupport.PrometheusText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.TestServer.NS_4K;

import io.netty.buffer.Unpooled;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prometheus metrics after known traffic: command counters by queue, opcode and status, latency and data
 * volume, PDU and byte counters by direction and type, terminations by FES, and the endpoint serving them.
 */
@ExtendWith(LeakDetectionExtension.class)
class MetricsTest {

    /** Series of a Prometheus text exposition, keyed by name and sorted labels. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> series = new HashMap<>();
        for (PrometheusText.Sample s : PrometheusText.parse(text).samples()) {
            series.put(key(s.name(), s.labels()), s.value());
        }
        return series;
    }

    static String key(String name, Map<String, String> labels) {
        return name + new TreeMap<>(labels);
    }

    static double value(Map<String, Double> series, String name, String... labels) {
        Map<String, String> map = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            map.put(labels[i], labels[i + 1]);
        }
        Double v = series.get(key(name, map));
        assertThat(v).as("%s%s in the scrape", name, map).isNotNull();
        return v;
    }

    @Test
    void commandAndPduCountersFollowTheTraffic(@TempDir Path dir) throws Exception {
        // 8 KiB of in-capsule data, so that 64 KiB writes go by R2T.
        String yaml = TestServer.defaultYaml(dir).replace("metrics: {enabled: false}", "metrics: {enabled: true, port: 0}")
                .replace("nvme:\n  version: \"2.1\"\n", "nvme:\n  version: \"2.1\"\n  in-capsule-data-size: 8192\n");
        assertThat(yaml).contains("in-capsule-data-size: 8192");
        try (TestServer server = TestServer.start(dir, yaml)) {
            int writes = 3;
            int reads = 5;
            try (NvmeTcpHost host = server.connect(1)) {
                long lba = server.allocate(NS_4K, 16);
                Random random = new Random(1);
                // One in-capsule write, two by R2T.
                Nvme.write(host, NS_4K, lba, TestServer.randomBytes(random, 4096), false);
                Nvme.write(host, NS_4K, lba, TestServer.randomBytes(random, 16 * 4096), false);
                Nvme.write(host, NS_4K, lba, TestServer.randomBytes(random, 16 * 4096), true);
                for (int i = 0; i < reads; i++) {
                    Nvme.read(host, NS_4K, lba, 2);
                }
                Nvme.expectIo(host, Nvme.read(NS_4K, TestServer.blockCount(NS_4K), 1), null, 4096,
                        StatusCode.LBA_OUT_OF_RANGE, true);
                Nvme.expectIo(host, SubmissionQueueEntry.builder(0x80).nsid(NS_4K).build(), null, 0,
                        StatusCode.INVALID_COMMAND_OPCODE, true);
                host.identifyController();
            }
            try (RawQueue q = new RawQueue(server.rawInitialized(false, false))) {
                q.conn().send(Unpooled.buffer(24).writeByte(0x0A).writeByte(0).writeByte(24).writeByte(0)
                        .writeIntLE(24).writeZero(16));
                q.expectTermination(FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 0);
            }
            TestServer.eventually("all connections closed", RawQueue.WAIT, () -> server.connections() == 0);

            Map<String, Double> m = parse(server.server().registry().scrape());
            String commands = "copyoffload_nvme_commands_total";
            assertThat(value(m, commands, "queue", "io", "opcode", "write", "status", "success")).isEqualTo(writes);
            assertThat(value(m, commands, "queue", "io", "opcode", "read", "status", "success")).isEqualTo(reads);
            assertThat(value(m, commands, "queue", "io", "opcode", "read", "status", "lba_out_of_range")).isEqualTo(1);
            assertThat(value(m, commands, "queue", "io", "opcode", "unknown_80", "status", "invalid_command_opcode")).isEqualTo(1);
            assertThat(value(m, commands, "queue", "admin", "opcode", "identify", "status", "success")).isGreaterThanOrEqualTo(2);
            assertThat(value(m, commands, "queue", "admin", "opcode", "fabrics_connect", "status", "success")).isEqualTo(1);
            assertThat(value(m, commands, "queue", "io", "opcode", "fabrics_connect", "status", "success")).isEqualTo(1);
            assertThat(value(m, commands, "queue", "io", "opcode", "fabrics_disconnect", "status", "success")).isEqualTo(1);
            assertThat(value(m, "copyoffload_nvme_command_latency_seconds_count", "queue", "io", "opcode", "read"))
                    .isEqualTo(reads + 1);
            assertThat(value(m, "copyoffload_nvme_data_bytes_total", "queue", "io", "opcode", "read"))
                    .isEqualTo(reads * 2 * 4096);

            String pdus = "copyoffload_nvme_tcp_pdus_total";
            assertThat(value(m, pdus, "direction", "in", "type", "ic_req")).isEqualTo(3);
            assertThat(value(m, pdus, "direction", "out", "type", "ic_resp")).isEqualTo(3);
            assertThat(value(m, pdus, "direction", "out", "type", "r2t")).isEqualTo(2);
            assertThat(value(m, pdus, "direction", "in", "type", "h2c_data")).isEqualTo(2);
            assertThat(value(m, pdus, "direction", "out", "type", "c2h_data")).isGreaterThanOrEqualTo(reads + 2);
            assertThat(value(m, pdus, "direction", "in", "type", "capsule_cmd")).isGreaterThanOrEqualTo(writes + reads + 8);
            assertThat(value(m, pdus, "direction", "out", "type", "capsule_resp"))
                    .isEqualTo(value(m, pdus, "direction", "in", "type", "capsule_cmd"));
            assertThat(value(m, pdus, "direction", "out", "type", "c2h_term_req")).isEqualTo(1);
            assertThat(value(m, pdus, "direction", "in", "type", "h2c_term_req")).isZero();
            String bytes = "copyoffload_nvme_tcp_bytes_total";
            assertThat(value(m, bytes, "direction", "in", "type", "h2c_data")).isGreaterThan(2 * 16 * 4096);
            assertThat(value(m, bytes, "direction", "out", "type", "c2h_data")).isGreaterThan(reads * 2 * 4096);
            assertThat(value(m, "copyoffload_nvme_tcp_terminations_total", "fes", "invalid_pdu_header_field")).isEqualTo(1);
            assertThat(value(m, "copyoffload_nvme_tcp_terminations_total", "fes", "pdu_sequence_error")).isZero();
            assertThat(value(m, "copyoffload_nvme_tcp_connections")).isZero();
            assertThat(value(m, "copyoffload_nvme_commands_outstanding")).isZero();

            // The HTTP endpoint serves the same registry.
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.server().metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            Map<String, Double> http = parse(response.body());
            assertThat(value(http, commands, "queue", "io", "opcode", "write", "status", "success")).isEqualTo(writes);
        }
    }

    @Test
    void withoutTrafficThereAreNoCommandSeriesAndADisabledEndpointHasNoPort(@TempDir Path dir) {
        try (TestServer server = TestServer.start(dir)) {
            String text = server.server().registry().scrape();
            assertThat(text).doesNotContain("copyoffload_nvme_commands_total{");
            assertThat(parse(text).get(key("copyoffload_nvme_tcp_pdus_total", Map.of("direction", "in", "type", "capsule_cmd"))))
                    .isZero();
            assertThat(server.server().metricsPort()).isEqualTo(-1);
        }
    }
}
