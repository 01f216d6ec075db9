package org.copyoffload.initiator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code copyoffload gc-bench}: zoned garbage collection with Copy offload and host-driven, over a sweep. */
@Command(name = "gc-bench", mixinStandardHelpOptions = true, version = "copyoffload gc-bench 0.1",
        description = {"Garbage collection of a log-structured writer on a zoned namespace of an NVMe/TCP target:",
                "victim zones are filled, a fraction of their blocks stays valid, and GC moves the valid blocks into",
                "free zones at the write pointer and resets the victims, once with NVMe Copy and once by READ and",
                "Zone Append (16 of each in flight). Prints, per valid fraction, blocks moved, wall time, bytes on the",
                "wire and of them data bytes (the rest: headers), commands and host CPU time of both, their ratios,",
                "and whether the moved blocks read back right. Resets every zone of the namespace."})
public final class GcBenchCommand implements Callable<Integer> {
    @CommandLine.Mixin
    TargetOptions target;

    @Option(names = "--nsid", defaultValue = "3", description = "The zoned namespace (default: ${DEFAULT-VALUE}).")
    int nsid;

    @Option(names = "--victims", defaultValue = "4",
            description = "Zones collected per point; as many free zones are needed (default: ${DEFAULT-VALUE}).")
    int victims;

    @Option(names = "--valid", split = ",", defaultValue = "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9",
            description = "Valid fractions of the sweep (default: ${DEFAULT-VALUE}).")
    double[] fractions;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the valid runs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON.")
    Path json;

    @CommandLine.Mixin
    ReportOption report;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final PrintStream out;

    public GcBenchCommand() {
        this(System.out);
    }

    GcBenchCommand(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        Tools.main(new GcBenchCommand(), args);
    }

    @Override
    public Integer call() throws Exception {
        for (double f : fractions) {
            if (!(f >= 0 && f <= 1)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--valid: " + f + " is not in 0..1");
            }
        }
        report.check();
        try (NvmeTcpHost host = target.connect(2)) {
            GcBench bench = new GcBench(host, nsid, victims);
            List<GcBench.Point> points = bench.sweep(fractions, seed, Progress.onTerminal());
            print(bench.zoneCapacityBlocks(), points);
            if (json != null) {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(),
                        toJson(points));
            }
            report.write(() -> GcBenchReport.html(victims, bench.zoneCapacityBlocks(), points,
                    facts(bench.zoneCapacityBlocks())));
            return points.stream().allMatch(p -> p.offloaded().verified() && p.hostDriven().verified()) ? 0 : 1;
        }
    }

    /** How this run was made, for the report. */
    private List<HtmlReport.Fact> facts(long zoneBlocks) {
        List<HtmlReport.Fact> facts = new ArrayList<>(target.facts());
        facts.add(new HtmlReport.Fact("zoned namespace", Long.toString(nsid)));
        facts.add(new HtmlReport.Fact("victims", victims + " zones of " + zoneBlocks + " blocks per point"));
        facts.add(new HtmlReport.Fact("valid fractions", java.util.Arrays.toString(fractions)));
        facts.add(new HtmlReport.Fact("seed", Long.toString(seed)));
        return facts;
    }

    void print(long zoneBlocks, List<GcBench.Point> points) {
        table(victims, zoneBlocks, points).print(out);
    }

    /** One row per valid fraction, both ways and their ratios, as the terminal and the report show them. */
    static Table table(int victims, long zoneBlocks, List<GcBench.Point> points) {
        String offloaded = "offloaded (NVMe Copy)";
        String hostDriven = "host-driven (READ + Zone Append)";
        String ratio = "offloaded / host-driven";
        // "data bytes" are the part of the wire bytes that was PDU data, both ways: the blocks themselves when the
        // host moves them, only the Copy commands' range lists when the target does; the rest is headers.
        List<Table.Column> columns = List.of(Table.Column.right("", "valid", 6), Table.Column.right("", "moved", 9),
                Table.Column.right(offloaded, "s", 8), Table.Column.right(offloaded, "wire bytes", 12),
                Table.Column.right(offloaded, "data bytes", 12), Table.Column.right(offloaded, "cmds", 6),
                Table.Column.right(offloaded, "cpu s", 7),
                Table.Column.right(hostDriven, "s", 8), Table.Column.right(hostDriven, "wire bytes", 12),
                Table.Column.right(hostDriven, "data bytes", 12), Table.Column.right(hostDriven, "cmds", 6),
                Table.Column.right(hostDriven, "cpu s", 7),
                Table.Column.right(ratio, "time", 6), Table.Column.right(ratio, "wire", 9),
                Table.Column.right(ratio, "cpu", 6), Table.Column.right("", "ok", 0));
        List<List<String>> rows = new ArrayList<>();
        for (GcBench.Point p : points) {
            GcBench.Run a = p.offloaded();
            GcBench.Run b = p.hostDriven();
            rows.add(List.of(f("%.0f%%", p.validFraction() * 100), Long.toString(a.blocksMoved()),
                    f("%.3f", a.seconds()), Long.toString(a.wireBytes()), Long.toString(a.wireDataBytes()),
                    Long.toString(a.commands()), f("%.3f", a.cpuSeconds()), f("%.3f", b.seconds()),
                    Long.toString(b.wireBytes()), Long.toString(b.wireDataBytes()), Long.toString(b.commands()),
                    f("%.3f", b.cpuSeconds()), f("%.3f", a.seconds() / b.seconds()),
                    f("%.6f", (double) a.wireBytes() / b.wireBytes()),
                    f("%.3f", b.cpuSeconds() == 0 ? 0 : a.cpuSeconds() / b.cpuSeconds()),
                    a.verified() && b.verified() ? "yes" : "NO"));
        }
        return new Table(String.format(Locale.ROOT, "gc-bench: %d victim zones of %d blocks per point; %s | %s | %s",
                victims, zoneBlocks, offloaded, hostDriven, ratio), columns, rows, List.of());
    }

    private static String f(String format, double value) {
        return String.format(Locale.ROOT, format, value);
    }

    static List<Map<String, Object>> toJson(List<GcBench.Point> points) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (GcBench.Point p : points) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("valid_fraction", p.validFraction());
            m.put("offloaded", p.offloaded());
            m.put("host_driven", p.hostDriven());
            list.add(m);
        }
        return list;
    }
}
