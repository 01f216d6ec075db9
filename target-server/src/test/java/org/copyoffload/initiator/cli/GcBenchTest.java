package org.copyoffload.initiator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** gc-bench against the real target's zoned namespace: both ways move the same blocks, right, at different costs. */
@ExtendWith(LeakDetectionExtension.class)
class GcBenchTest {
    @TempDir
    Path dir;

    TestServer start() {
        String yaml = """
                data-dir: %s
                listeners:
                  - {address: 127.0.0.1, port: 0}
                metrics: {enabled: false}
                volumes:
                  - {name: zns, size: 8MiB, block-size: 4096, zoned: {zone-size: 1MiB, zone-capacity: 1MiB}}
                subsystems:
                  - nqn: %s
                    namespaces:
                      - {nsid: 1, volume: zns, msrc: 7, mssrl: 64, mcl: 128}
                """.formatted(dir, TestServer.NQN);
        return TestServer.start(dir, yaml);
    }

    @Test
    void offloadedAndHostDrivenGcMoveTheSameBlocksAndOnlyHostDrivenMovesThemOverTheWire() {
        try (TestServer server = start(); NvmeTcpHost h = server.connect(2)) {
            GcBench bench = new GcBench(h, 1, 3);
            List<GcBench.Point> points = bench.sweep(new double[] {0.2, 0.8}, 5);
            assertThat(points).hasSize(2);
            for (GcBench.Point p : points) {
                GcBench.Run a = p.offloaded();
                GcBench.Run b = p.hostDriven();
                assertThat(a.verified()).as("offloaded at %s", p.validFraction()).isTrue();
                assertThat(b.verified()).as("host-driven at %s", p.validFraction()).isTrue();
                assertThat(a.blocksMoved()).isEqualTo(b.blocksMoved()).isPositive();
                // Host-driven: every moved block crosses the wire twice (READ data in, WRITE data out).
                assertThat(b.bytesReceived()).isGreaterThan(a.blocksMoved() * 4096);
                assertThat(b.bytesSent()).isGreaterThan(a.blocksMoved() * 4096);
                assertThat(a.wireBytes()).isLessThan(b.wireBytes() / 100);
                // Data apart from headers. Host-driven, the data is the moved blocks exactly, once each way (the
                // zone resets carry none).
                assertThat(b.dataBytesReceived()).isEqualTo(b.blocksMoved() * 4096);
                assertThat(b.dataBytesSent()).isEqualTo(b.blocksMoved() * 4096);
                assertThat(b.headerBytesSent()).isPositive();
                assertThat(b.headerBytesReceived()).isPositive();
                // Offloaded, only the Copy commands' lists of 32-byte format 0h ranges go out, 1 to MSRC + 1 = 8
                // per command (the commands less the 3 resets), and no data comes back.
                long copies = a.commands() - 3;
                assertThat(a.dataBytesSent() % 32).isZero();
                assertThat(a.dataBytesSent()).isBetween(32 * copies, 8 * 32 * copies);
                assertThat(a.dataBytesReceived()).isZero();
                assertThat(a.headerBytesSent()).isPositive();
                assertThat(a.headerBytesReceived()).isEqualTo(a.bytesReceived()).isPositive();
            }
            assertThat(points.get(1).offloaded().blocksMoved()).isGreaterThan(points.get(0).offloaded().blocksMoved());

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            GcBenchCommand command = new GcBenchCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            command.victims = 3;
            command.print(bench.zoneCapacityBlocks(), points);
            assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("3 victim zones of 256 blocks", "data bytes")
                    .containsPattern("20% +\\d+ \\|").containsPattern("80% .* yes");
            // Each mode's wire bytes, then its data bytes (both ways), then its commands.
            GcBench.Point last = points.get(1);
            assertThat(bytes.toString(StandardCharsets.UTF_8)).containsPattern(" " + last.offloaded().wireBytes()
                    + " +" + (last.offloaded().dataBytesSent() + last.offloaded().dataBytesReceived()) + " +"
                    + last.offloaded().commands() + " ").containsPattern(" " + last.hostDriven().wireBytes() + " +"
                    + 2 * last.hostDriven().blocksMoved() * 4096 + " +" + last.hostDriven().commands() + " ");
            assertThat(GcBenchCommand.toJson(points)).hasSize(2);
        }
    }

    @Test
    void tooFewZonesForTheVictimsIsRefused() {
        try (TestServer server = start(); NvmeTcpHost h = server.connect(1)) {
            assertThatThrownBy(() -> new GcBench(h, 1, 5)).hasMessageContaining("has 8 zones; 5 victims need 10");
        }
    }
}
