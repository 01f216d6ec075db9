package org.copyoffload.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The benchmark command still runs end to end (tiny sizes; the figures themselves are not checked). */
class BenchCommandTest {
    @TempDir
    Path dir;

    private static String run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int status = new CommandLine(new BenchCommand()).execute(args);
            assertThat(status).as("exit status of bench %s", String.join(" ", args)).isZero();
        } finally {
            System.setOut(saved);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        saved.print(text);
        return text;
    }

    @Test
    void zonedMeasurementsAndCrashCounts() {
        String out = run("--only", "zns", "--seconds", "1", "--zns-size", "256", "--crash-kills", "2",
                "--data-dir", dir.toString());
        assertThat(out).containsPattern("Write 128 KiB, conventional namespace\\s+\\d+ MB/s")
                .containsPattern("Zone Append 128 KiB, zoned namespace\\s+\\d+ MB/s .*of the conventional write")
                .containsPattern("Zone Append 4 KiB, zoned namespace\\s+\\d+ MB/s\\s+\\d+ IOPS \\(QD 32")
                .containsPattern("zoned crash test .* [2-9]\\d* kills survived");
    }

    @Test
    void badArgumentsAreRefused() {
        assertThat(new CommandLine(new BenchCommand()).execute("--only", "nope")).isEqualTo(2);
        assertThat(new CommandLine(new BenchCommand()).execute("--only", "zns", "--zns-size", "100")).isEqualTo(2);
    }
}
