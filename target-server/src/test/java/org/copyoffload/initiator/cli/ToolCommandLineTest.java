package org.copyoffload.initiator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
            Ran compare = run(new CompareCommand(out[0]), out, bytes, "--target", target, "--nqn", TestServer.NQN,
                    "--size", "1M", "--warm-up", "1", "--json", json.toString());
            assertThat(compare.status()).as(compare.err()).isZero();
            assertThat(compare.out()).contains("copy of 1 MiB, stack: none").containsPattern("matches source +yes +yes");
            assertThat(Files.readString(json)).contains("\"ratio_wire_bytes\"", "\"verified\" : true");

            bytes.reset();
            Path gcJson = dir.resolve("gc.json");
            Ran gc = run(new GcBenchCommand(out[0]), out, bytes, "--target", target, "--nqn", TestServer.NQN,
                    "--nsid", "3", "--victims", "2", "--valid", "0.3,0.6", "--json", gcJson.toString());
            assertThat(gc.status()).as(gc.err()).isZero();
            assertThat(gc.out()).containsPattern("30% .* yes").containsPattern("60% .* yes");
            assertThat(Files.readString(gcJson)).contains("\"valid_fraction\" : 0.6");
        }
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
    }
}
