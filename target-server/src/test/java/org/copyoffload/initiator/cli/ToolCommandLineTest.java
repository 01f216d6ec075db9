package org.copyoffload.initiator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code compare} and {@code gc-bench} as a user runs them: options, exit status, output, and their errors. */
@ExtendWith(LeakDetectionExtension.class)
class ToolCommandLineTest {
    @TempDir
    Path dir;

    record Ran(int status, String out, String err) {
    }

    static Ran run(Object command, PrintStream[] out, ByteArrayOutputStream bytes, String... args) {
        StringWriter err = new StringWriter();
        int status = new CommandLine(command).setErr(new PrintWriter(err, true)).execute(args);
        out[0].flush();
        return new Ran(status, bytes.toString(StandardCharsets.UTF_8), err.toString());
    }

    TestServer start() {
        String yaml = """
                data-dir: %s
                listeners:
                  - {address: 127.0.0.1, port: 0}
                metrics: {enabled: false}
                volumes:
                  - {name: a, size: 4MiB, block-size: 4096}
                  - {name: b, size: 4MiB, block-size: 4096}
                  - {name: z, size: 8MiB, block-size: 4096, zoned: {zone-size: 1MiB, zone-capacity: 1MiB}}
                subsystems:
                  - nqn: %s
                    namespaces:
                      - {nsid: 1, volume: a}
                      - {nsid: 2, volume: b}
                      - {nsid: 3, volume: z}
                """.formatted(dir, TestServer.NQN);
        return TestServer.start(dir, yaml);
    }

    @Test
    void compareAndGcBenchRunAgainstTheTargetAndWriteTheirJson() throws Exception {
        try (TestServer server = start()) {
            String target = "127.0.0.1:" + server.address().getPort();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PrintStream[] out = {new PrintStream(bytes, true, StandardCharsets.UTF_8)};
            Path json = dir.resolve("compare.json");
            Path html = dir.resolve("compare.html");
            Ran compare = run(new CompareCommand(out[0]), out, bytes, "--target", target, "--nqn", TestServer.NQN,
                    "--size", "1M", "--warm-up", "1", "--json", json.toString(), "--report", html.toString());
            assertThat(compare.status()).as(compare.err()).isZero();
            assertThat(compare.out()).contains("copy of 1 MiB, stack: none").containsPattern("matches source +yes +yes");
            assertThat(Files.readString(json)).contains("\"ratio_wire_bytes\"", "\"verified\" : true");
            String page = Files.readString(html);
            assertSelfContainedPage(page, 3);
            // How and where it ran: the target, the size, the stack, when, and with which Java.
            assertThat(page).contains("<tr><th>target</th><td>" + target + "</td></tr>",
                    "<tr><th>size</th><td>1 MiB (1048576 bytes)</td></tr>", "<tr><th>stack</th><td>none</td></tr>",
                    "<tr><th>date</th><td>20", " " + Runtime.version() + "</td></tr>");
            // The table's rows carry the figures the same run wrote as JSON.
            JsonNode figures = new ObjectMapper().readTree(json.toFile());
            JsonNode offloaded = figures.get("offloaded");
            JsonNode hostDriven = figures.get("host_driven");
            for (String[] row : new String[][] {{"bytes sent", "bytes_sent"}, {"bytes received", "bytes_received"},
                    {"header bytes sent", "header_bytes_sent"}, {"data bytes sent", "data_bytes_sent"},
                    {"header bytes received", "header_bytes_received"},
                    {"data bytes received", "data_bytes_received"},
                    {"PDUs sent", "pdus_sent"}, {"PDUs received", "pdus_received"},
                    {"bytes offloaded", "bytes_offloaded"}}) {
                assertThat(page).contains("<tr><td>" + row[0] + "</td><td class=\"num\">"
                        + offloaded.get(row[1]).asLong() + "</td><td class=\"num\">" + hostDriven.get(row[1]).asLong()
                        + "</td>");
            }
            assertThat(page).contains("<tr><td>result matches source</td><td class=\"num\">yes</td>"
                    + "<td class=\"num\">yes</td>");
            for (JsonNode r : new JsonNode[] {offloaded, hostDriven}) {
                assertThat(r.get("header_bytes_sent").asLong() + r.get("data_bytes_sent").asLong())
                        .isEqualTo(r.get("bytes_sent").asLong());
                assertThat(r.get("header_bytes_received").asLong() + r.get("data_bytes_received").asLong())
                        .isEqualTo(r.get("bytes_received").asLong());
            }
            // Host-driven, the data is the 1 MiB read and written; offloaded, far less (the Copy's range list).
            assertThat(hostDriven.get("data_bytes_sent").asLong()).isEqualTo(1 << 20);
            assertThat(hostDriven.get("data_bytes_received").asLong()).isEqualTo(1 << 20);
            assertThat(offloaded.get("data_bytes_sent").asLong()).isPositive().isLessThan(1024);

            bytes.reset();
            Path gcJson = dir.resolve("gc.json");
            Path gcHtml = dir.resolve("gc.html");
            Ran gc = run(new GcBenchCommand(out[0]), out, bytes, "--target", target, "--nqn", TestServer.NQN,
                    "--nsid", "3", "--victims", "2", "--valid", "0.3,0.6", "--json", gcJson.toString(), "--report",
                    gcHtml.toString());
            assertThat(gc.status()).as(gc.err()).isZero();
            assertThat(gc.out()).containsPattern("30% .* yes").containsPattern("60% .* yes");
            assertThat(Files.readString(gcJson)).contains("\"valid_fraction\" : 0.6");
            String gcPage = Files.readString(gcHtml);
            assertSelfContainedPage(gcPage, 4);
            assertThat(gcPage).contains("<th colspan=\"5\" class=\"group\">offloaded (NVMe Copy)</th>");
            JsonNode points = new ObjectMapper().readTree(gcJson.toFile());
            assertThat(points).hasSize(2);
            for (JsonNode p : points) {
                JsonNode a = p.get("offloaded");
                JsonNode b = p.get("host_driven");
                String percent = Math.round(p.get("valid_fraction").asDouble() * 100) + "%";
                for (JsonNode r : new JsonNode[] {a, b}) {
                    assertThat(r.get("headerBytesSent").asLong() + r.get("dataBytesSent").asLong())
                            .isEqualTo(r.get("bytesSent").asLong());
                    assertThat(r.get("headerBytesReceived").asLong() + r.get("dataBytesReceived").asLong())
                            .isEqualTo(r.get("bytesReceived").asLong());
                }
                // Host-driven, every moved block is read in and appended out; offloaded, no data comes back.
                long moved = b.get("blocksMoved").asLong() * 4096;
                assertThat(b.get("dataBytesReceived").asLong()).isEqualTo(moved);
                assertThat(b.get("dataBytesSent").asLong()).isEqualTo(moved);
                assertThat(a.get("dataBytesReceived").asLong()).isZero();
                // The point's row: its fraction, the blocks moved, then the offloaded and host-driven figures.
                assertThat(gcPage).containsPattern("<tr><td class=\"num\">" + percent + "</td><td class=\"num\">"
                        + a.get("blocksMoved").asLong() + "</td><td class=\"num start\">[0-9.]+</td><td class=\"num\">"
                        + (a.get("bytesSent").asLong() + a.get("bytesReceived").asLong()) + "</td><td class=\"num\">"
                        + a.get("dataBytesSent").asLong() + "</td><td class=\"num\">"
                        + a.get("commands").asLong() + "</td><td class=\"num\">[0-9.]+</td><td class=\"num start\">"
                        + "[0-9.]+</td><td class=\"num\">" + (b.get("bytesSent").asLong() + b.get("bytesReceived")
                        .asLong()) + "</td><td class=\"num\">" + 2 * moved + "</td><td class=\"num\">"
                        + b.get("commands").asLong() + "</td>");
            }
        }
    }

    /**
     * A report page: an HTML document with {@code charts} PNG charts in it that decode to images of the charts' size,
     * and no address to fetch anything from (nor any script).
     */
    static void assertSelfContainedPage(String page, int charts) throws Exception {
        assertThat(page).startsWith("<!DOCTYPE html>").contains("<html lang=\"en\">", "</html>", "<table",
                "</table>");
        assertThat(page).doesNotContain("http://", "https://", "<script", "<link", "@import", "url(");
        Matcher m = Pattern.compile("<img width=\"(\\d+)\" height=\"(\\d+)\" alt=\"[^\"]+\" "
                + "src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\">").matcher(page);
        int found = 0;
        while (m.find()) {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(3))));
            assertThat(image.getWidth()).isEqualTo(Integer.parseInt(m.group(1)));
            assertThat(image.getHeight()).isEqualTo(Integer.parseInt(m.group(2)));
            found++;
        }
        assertThat(found).isEqualTo(charts);
        assertThat(page.split("<img ", -1)).hasSize(charts + 1);
    }

    @Test
    void badOptionsAreUsageErrorsThatSayWhatIsWrong() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream[] out = {new PrintStream(bytes, true, StandardCharsets.UTF_8)};
        Ran noPort = run(new CompareCommand(out[0]), out, bytes, "--target", "localhost", "--nqn", "x");
        assertThat(noPort.status()).isEqualTo(2);
        assertThat(noPort.err()).contains("--target wants HOST:PORT, not 'localhost'");
        Ran badPort = run(new GcBenchCommand(out[0]), out, bytes, "--target", "127.0.0.1:99999", "--nqn", "x");
        assertThat(badPort.status()).isEqualTo(2);
        Ran badFraction = run(new GcBenchCommand(out[0]), out, bytes, "--target", "127.0.0.1:4420", "--nqn", "x",
                "--valid", "0.5,1.5");
        assertThat(badFraction.status()).isEqualTo(2);
        assertThat(badFraction.err()).contains("--valid: 1.5 is not in 0..1");
        Ran missing = run(new CompareCommand(out[0]), out, bytes, "--target", "127.0.0.1:4420");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("--nqn");
        // Before anything runs (nothing listens at 127.0.0.1:4420 here): no minutes of measuring lost to a typo.
        Path nowhere = dir.resolve("no-such-dir").resolve("r.html");
        Ran noDirectory = run(new CompareCommand(out[0]), out, bytes, "--target", "127.0.0.1:4420", "--nqn", "x",
                "--report", nowhere.toString());
        assertThat(noDirectory.status()).isEqualTo(2);
        assertThat(noDirectory.err()).contains("--report: directory '" + nowhere.getParent() + "' does not exist")
                .contains("Usage:");
        Ran gcNoDirectory = run(new GcBenchCommand(out[0]), out, bytes, "--target", "127.0.0.1:4420", "--nqn", "x",
                "--report", nowhere.toString());
        assertThat(gcNoDirectory.status()).isEqualTo(2);
        assertThat(gcNoDirectory.err()).contains("--report: directory '" + nowhere.getParent() + "' does not exist");
        Ran isDirectory = run(new GcBenchCommand(out[0]), out, bytes, "--target", "127.0.0.1:4420", "--nqn", "x",
                "--report", dir.toString());
        assertThat(isDirectory.status()).isEqualTo(2);
        assertThat(isDirectory.err()).contains("is a directory");
    }
}
