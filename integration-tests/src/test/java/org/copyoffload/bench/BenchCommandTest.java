package org.copyoffload.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The benchmark command runs end to end and reports what it prints (tiny sizes; the figures themselves are not checked). */
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
    void zonedMeasurementsAndCrashCountsAlsoAsJson() throws Exception {
        Path json = dir.resolve("figures.json");
        String out = run("--only", "zns", "--seconds", "1", "--warm-up", "1", "--zns-size", "256", "--crash-kills", "2",
                "--data-dir", dir.toString(), "--json", json.toString());
        assertThat(out).containsPattern("Write 128 KiB, conventional namespace\\s+\\d+ MB/s")
                .containsPattern("Zone Append 128 KiB, zoned namespace\\s+\\d+ MB/s .*of the conventional write")
                .containsPattern("Zone Append 4 KiB, zoned namespace\\s+\\d+ MB/s\\s+\\(\\d+ IOPS, QD 32")
                .containsPattern("zoned crash test .* [2-9]\\d* kills survived");
        JsonNode figures = new ObjectMapper().readTree(json.toFile()).get("figures");
        assertThat(figures.fieldNames()).toIterable().contains("zns.write_128k.mb_s", "zns.append_128k.mb_s",
                "zns.append_128k.ratio_write", "zns.write_4k.iops", "zns.append_4k.iops", "zns.crash.kills_survived");
        assertThat(figures.get("zns.append_128k.mb_s").get("value").asDouble()).isPositive();
        assertThat(figures.get("zns.append_128k.mb_s").get("unit").asText()).isEqualTo("MB/s");
        assertThat(figures.get("zns.crash.kills_survived").get("value").asInt()).isGreaterThanOrEqualTo(2);
        // Compared with the nvme group's sequential write only when that group ran in the same run.
        assertThat(figures.has("zns.write_128k.ratio_seq_write")).isFalse();
        assertThat(figures.has("zns.write_128k.ratio_seq_write_deallocated")).isFalse();
    }

    /** The data-path group prints only figures (no log lines) and writes each one it prints to the JSON file. */
    @Test
    void dataPathFiguresArePrintedAndWrittenUnderTheirNames() throws Exception {
        Path json = dir.resolve("read.json");
        String out = run("--only", "read", "--seconds", "1", "--warm-up", "1", "--region", "32", "--io-queues", "2", "--data-dir",
                dir.toString(), "--json", json.toString());
        JsonNode figures = new ObjectMapper().readTree(json.toFile()).get("figures");
        assertThat(figures.fieldNames()).toIterable().containsExactly("loopback.tcp_128k.mb_s",
                "loopback.tcp_128k.cpu_s_per_gb", "loopback.tcp_128k_streams.mb_s",
                "loopback.tcp_128k_streams.cpu_s_per_gb", "loopback.tcp_128k_plain.mb_s",
                "loopback.tcp_128k_into_file.mb_s", "loopback.tcp_128k_streams_into_file.mb_s",
                "nvme.fill_write_128k.mb_s",
                "nvme.seq_write_128k_1q.mb_s", "nvme.seq_write_128k_1q.ratio_loopback", "nvme.seq_write_128k.mb_s",
                "nvme.seq_write_128k.cpu_s_per_gb", "nvme.seq_write_128k.ratio_loopback",
                "nvme.seq_write_128k.ratio_loopback_1stream", "nvme.seq_write_128k.ratio_into_file",
                "nvme.seq_read_128k_1q.mb_s",
                "nvme.seq_read_128k_1q.ratio_loopback", "nvme.seq_read_128k.mb_s", "nvme.seq_read_128k.cpu_s_per_gb",
                "nvme.seq_read_128k.ratio_loopback", "nvme.seq_read_128k.ratio_loopback_1stream",
                "nvme.rand_read_4k.iops", "nvme.rand_write_4k.iops", "nvme.rand_read_4k.ratio_write",
                "nvme.seq_write_128k_deallocated.mb_s");
        // CPU per GB: the process's CPU time over the bytes moved, so never zero for a run that moved data.
        assertThat(figures.get("nvme.seq_write_128k.cpu_s_per_gb").get("value").asDouble()).isPositive();
        assertThat(figures.get("nvme.seq_write_128k.cpu_s_per_gb").get("unit").asText()).isEqualTo("s/GB");
        // Every printed line after the first is a heading or a figure: no log line reached stdout.
        for (String line : out.lines().skip(1).toList()) {
            assertThat(line).matches("(nvme: .*|loopback TCP.*|NVMe/TCP .*|ratio .*|write-back settings changed .*)");
        }
        // The first line names the write-back thresholds every write figure depends on.
        assertThat(out.lines().findFirst().orElseThrow()).containsPattern("vm\\.dirty_background_(ratio|bytes) \\d+");
        assertThat(out).containsPattern("NVMe/TCP 128 KiB sequential write\\s+\\d+ MB/s")
                .containsPattern("NVMe/TCP 4 KiB random write\\s+\\d+ IOPS")
                .containsPattern("NVMe/TCP 128 KiB write, deallocated blocks\\s+\\d+ MB/s .*median of \\d+(, \\d+){6} MB/s");
    }

    @Test
    void reportRefusesBadAndRepeatedNames() {
        BenchReport report = new BenchReport(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        report.figure("group.thing.mb_s", "thing", 1, "MB/s", "");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> report.keep("group.thing.mb_s", "again", 2, "MB/s"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("group.thing.mb_s");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> report.keep("No Dots", "bad", 2, "MB/s"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("No Dots");
    }

    @Test
    void badArgumentsAreRefused() {
        assertThat(new CommandLine(new BenchCommand()).execute("--only", "nope")).isEqualTo(2);
        assertThat(new CommandLine(new BenchCommand()).execute("--only", "zns", "--zns-size", "100")).isEqualTo(2);
        assertThat(new CommandLine(new BenchCommand()).execute("--only", "flood", "--flood-connections", "0")).isEqualTo(2);
        assertThat(new CommandLine(new BenchCommand()).execute("--only", "flood", "--flood-seconds", "0")).isEqualTo(2);
        assertThat(new CommandLine(new BenchCommand()).execute("--only", "copy", "--host-copy-chunk", "2")).isEqualTo(2);
        assertThat(new CommandLine(new BenchCommand()).execute("--only", "copy", "--host-copy-depth", "0")).isEqualTo(2);
    }

    @Test
    void percentilesAreNearestRank() {
        assertThat(FloodBenchmark.percentile(java.util.List.of(), 0.99)).isZero();
        java.util.List<Long> hundred = java.util.stream.LongStream.rangeClosed(1, 100).boxed().toList();
        assertThat(FloodBenchmark.percentile(hundred, 0.5)).isEqualTo(50);
        assertThat(FloodBenchmark.percentile(hundred, 0.99)).isEqualTo(99);
        assertThat(FloodBenchmark.percentile(hundred, 1.0)).isEqualTo(100);
        assertThat(FloodBenchmark.percentile(java.util.List.of(7L), 0.99)).isEqualTo(7);
    }
}
