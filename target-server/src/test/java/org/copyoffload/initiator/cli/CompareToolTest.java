package org.copyoffload.initiator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.copyoffload.initiator.copy.FallbackReason;
import org.copyoffload.initiator.copy.NvmeNamespaceDevice;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code copyoffload compare}'s measurement against the real target, and its table, JSON and input errors. */
@ExtendWith(LeakDetectionExtension.class)
class CompareToolTest {
    @TempDir
    Path dir;

    TestServer start() {
        String yaml = """
                data-dir: %s
                listeners:
                  - {address: 127.0.0.1, port: 0}
                metrics: {enabled: false}
                volumes:
                  - {name: a, size: 8MiB, block-size: 4096}
                  - {name: b, size: 8MiB, block-size: 4096}
                subsystems:
                  - nqn: %s
                    nvme-version: "2.1"
                    namespaces:
                      - {nsid: 1, volume: a}
                      - {nsid: 2, volume: b}
                """.formatted(dir, TestServer.NQN);
        return TestServer.start(dir, yaml);
    }

    @Test
    void offloadedAcrossNamespacesMovesAlmostNothingAndBothResultsMatchTheSource() {
        try (TestServer server = start(); NvmeTcpHost h = server.connect(2)) {
            NvmeNamespaceDevice.enableCrossNamespaceCopy(h);
            CopyComparison c = CopyComparison.on(h, 1, 2, "", 4 << 20);
            c.fillSource(4 << 20, 128 << 10);
            CopyComparison.Outcome o = c.run(4 << 20, 1);
            assertThat(o.offloaded().result().bytesOffloaded()).isEqualTo(4 << 20);
            assertThat(o.hostDriven().result().bytesOffloaded()).isZero();
            assertThat(o.offloaded().verified()).isTrue();
            assertThat(o.hostDriven().verified()).isTrue();
            // Host-driven: every byte read and written once, plus headers.
            assertThat(o.hostDriven().bytesSent()).isGreaterThan(4 << 20);
            assertThat(o.hostDriven().bytesReceived()).isGreaterThan(4 << 20);
            assertThat(o.wireRatio()).isLessThan(0.001);
            // Data apart from headers. Host-driven, the measured window holds only the READs and WRITEs: their data
            // is the copy, byte for byte, each way.
            assertThat(o.hostDriven().dataBytesSent()).isEqualTo(4 << 20);
            assertThat(o.hostDriven().dataBytesReceived()).isEqualTo(4 << 20);
            assertThat(o.hostDriven().headerBytesSent()).isPositive();
            assertThat(o.hostDriven().headerBytesReceived()).isPositive();
            // Offloaded: one Copy whose in-capsule list is a single 32-byte format 2h range (1024 blocks, within the
            // default MSSRL), and in, the 512 bytes of Host Behavior Support the copy path reads to see 2h enabled.
            assertThat(o.offloaded().dataBytesSent()).isEqualTo(32);
            assertThat(o.offloaded().dataBytesReceived()).isEqualTo(512);
            assertThat(o.offloaded().headerBytesSent()).isPositive();
            assertThat(o.offloaded().headerBytesReceived()).isPositive();

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            new CompareCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8)).print(o);
            String table = bytes.toString(StandardCharsets.UTF_8);
            assertThat(table).contains("copy of 4 MiB, stack: none", "bytes sent", "wall time (s)",
                    "host CPU time (s)");
            assertThat(table).containsPattern("result matches source +yes +yes");
            assertThat(table).containsPattern("\ndata bytes sent +32 +4194304 ")
                    .containsPattern("\ndata bytes received +512 +4194304 ")
                    .containsPattern("\nheader bytes sent +" + o.offloaded().headerBytesSent() + " +"
                            + o.hostDriven().headerBytesSent() + " ")
                    .containsPattern("\nheader bytes received +" + o.offloaded().headerBytesReceived() + " +"
                            + o.hostDriven().headerBytesReceived() + " ");
            Map<String, Object> json = CompareCommand.toJson(o);
            assertThat(json).containsKeys("offloaded", "host_driven", "ratio_wire_bytes", "ratio_wall_time");
            for (String mode : new String[] {"offloaded", "host_driven"}) {
                @SuppressWarnings("unchecked")
                Map<String, Object> run = (Map<String, Object>) json.get(mode);
                // Each direction's total is its headers and its data, under the names the total kept.
                assertThat((long) run.get("header_bytes_sent") + (long) run.get("data_bytes_sent"))
                        .as(mode).isEqualTo(run.get("bytes_sent"));
                assertThat((long) run.get("header_bytes_received") + (long) run.get("data_bytes_received"))
                        .as(mode).isEqualTo(run.get("bytes_received"));
            }
            assertThat(((Map<?, ?>) json.get("host_driven")).get("data_bytes_received")).isEqualTo(4L << 20);
        }
    }

    @Test
    void cryptOnLinearFallsBackWithItsReasonAndStillCopiesRight() {
        try (TestServer server = start(); NvmeTcpHost h = server.connect(1)) {
            NvmeNamespaceDevice.enableCrossNamespaceCopy(h);
            CopyComparison c = CopyComparison.on(h, 1, 2, "crypt-plain64:linear", 1 << 20);
            c.fillSource(1 << 20, 128 << 10);
            CopyComparison.Outcome o = c.run(1 << 20, 0);
            assertThat(o.offloaded().result().fallbacks()).singleElement()
                    .satisfies(f -> assertThat(f.reason()).isEqualTo(FallbackReason.MAPPING_FORBIDS));
            // All fell back, so the "offloaded" run moved the data itself, as the host-driven one did.
            assertThat(o.offloaded().dataBytesSent()).isEqualTo(1 << 20);
            assertThat(o.offloaded().dataBytesReceived()).isEqualTo(1 << 20);
            assertThat(o.hostDriven().dataBytesSent()).isEqualTo(1 << 20);
            assertThat(o.hostDriven().dataBytesReceived()).isEqualTo(1 << 20);
            assertThat(o.offloaded().verified()).isTrue();
            assertThat(o.hostDriven().verified()).isTrue();
        }
    }

    @Test
    void badSizesAndStacksAreRefusedWithTheirReason() {
        assertThat(CompareCommand.parseSize("1G")).isEqualTo(1L << 30);
        assertThat(CompareCommand.parseSize("256MiB")).isEqualTo(256L << 20);
        assertThat(CompareCommand.parseSize("4096")).isEqualTo(4096);
        assertThatThrownBy(() -> CompareCommand.parseSize("-1")).hasMessageContaining("not a size");
        assertThatThrownBy(() -> CompareCommand.parseSize("1X")).hasMessageContaining("not a size");
        try (TestServer server = start(); NvmeTcpHost h = server.connect(1)) {
            assertThatThrownBy(() -> CopyComparison.on(h, 1, 2, "mirror", 1 << 20))
                    .hasMessageContaining("unknown layer 'mirror'");
            assertThatThrownBy(() -> CopyComparison.on(h, 1, 2, "crypt-plain64", 1 << 20))
                    .hasMessageContaining("needs a layer below it");
            assertThatThrownBy(() -> CopyComparison.on(h, 1, 2, "linear", 16 << 20))
                    .hasMessageContaining("at most");
        }
    }
}
