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
                "Zone Append (16 of each in flight). Prints, per valid fraction, blocks moved, wall time, bytes on the wire, commands and host CPU",
                "time of both, their ratios, and whether the moved blocks read back right. Resets every zone of the",
                "namespace."})
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
        try (NvmeTcpHost host = target.connect(2)) {
            GcBench bench = new GcBench(host, nsid, victims);
            List<GcBench.Point> points = bench.sweep(fractions, seed);
            print(bench.zoneCapacityBlocks(), points);
            if (json != null) {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(),
                        toJson(points));
            }
            return points.stream().allMatch(p -> p.offloaded().verified() && p.hostDriven().verified()) ? 0 : 1;
        }
    }

    void print(long zoneBlocks, List<GcBench.Point> points) {
        out.printf(Locale.ROOT, "gc-bench: %d victim zones of %d blocks per point; offloaded (NVMe Copy) | host-driven "
                + "(READ + Zone Append) | offloaded / host-driven%n", victims, zoneBlocks);
        out.printf(Locale.ROOT, "%6s %9s | %8s %12s %6s %7s | %8s %12s %6s %7s | %6s %9s %6s %s%n", "valid", "moved",
                "s", "wire bytes", "cmds", "cpu s", "s", "wire bytes", "cmds", "cpu s", "time", "wire", "cpu", "ok");
        for (GcBench.Point p : points) {
            GcBench.Run a = p.offloaded();
            GcBench.Run b = p.hostDriven();
            out.printf(Locale.ROOT, "%5.0f%% %9d | %8.3f %12d %6d %7.3f | %8.3f %12d %6d %7.3f | %6.3f %9.6f %6.3f %s%n",
                    p.validFraction() * 100, a.blocksMoved(), a.seconds(), a.wireBytes(), a.commands(), a.cpuSeconds(),
                    b.seconds(), b.wireBytes(), b.commands(), b.cpuSeconds(), a.seconds() / b.seconds(),
                    (double) a.wireBytes() / b.wireBytes(), b.cpuSeconds() == 0 ? 0 : a.cpuSeconds() / b.cpuSeconds(),
                    a.verified() && b.verified() ? "yes" : "NO");
        }
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
