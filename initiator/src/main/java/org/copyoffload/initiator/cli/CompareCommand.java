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
import org.copyoffload.initiator.copy.CopyResult;
import org.copyoffload.initiator.copy.NvmeNamespaceDevice;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code copyoffload compare}: one copy offloaded and host-driven against a running target, side by side. */
@Command(name = "compare", mixinStandardHelpOptions = true, version = "copyoffload compare 0.1",
        description = {"Runs the same copy through the host's copy path twice against an NVMe/TCP target: offloaded",
                "where the devices allow it, then forced host-driven (READ + WRITE), and prints bytes on the wire each",
                "way (in all, and as headers and data apart), PDUs, wall time, throughput and host CPU time of both,",
                "their ratios, and whether each result matches the source (SHA-256 read back through the same stack).",
                "The source is filled with random data first; the destination range is overwritten."})
public final class CompareCommand implements Callable<Integer> {
    @CommandLine.Mixin
    TargetOptions target;

    @Option(names = "--size", defaultValue = "1G",
            description = "Bytes to copy, with K, M or G (binary) (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--source-nsid", defaultValue = "1", description = "Source namespace (default: ${DEFAULT-VALUE}).")
    int sourceNsid;

    @Option(names = "--dest-nsid", defaultValue = "2",
            description = "Destination namespace; the source's own for a copy inside it (default: ${DEFAULT-VALUE}).")
    int destinationNsid;

    @Option(names = "--stack", defaultValue = "",
            description = "Layers over the two namespaces, top first, e.g. crypt-plain64:linear (linear, striped, "
                    + "crypt-plain64); the copy then goes from the start of the top device to its middle.")
    String stack;

    @Option(names = "--io-queues", defaultValue = "2", description = "I/O queues (default: ${DEFAULT-VALUE}).")
    int ioQueues;

    @Option(names = "--warm-up", defaultValue = "4",
            description = "Unmeasured host-driven copies of up to 256 MiB first, so the baseline runs warm "
                    + "(default: ${DEFAULT-VALUE}).")
    int warmUpRounds;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON.")
    Path json;

    @CommandLine.Mixin
    ReportOption report;

    private final PrintStream out;

    public CompareCommand() {
        this(System.out);
    }

    CompareCommand(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        Tools.main(new CompareCommand(), args);
    }

    @Override
    public Integer call() throws Exception {
        long bytes = parseSize(size);
        report.check();
        try (NvmeTcpHost host = target.connect(ioQueues)) {
            if (sourceNsid != destinationNsid) {
                tryEnableCrossNamespaceCopy(host);
            }
            CopyComparison comparison = CopyComparison.on(host, sourceNsid, destinationNsid, stack, bytes,
                    Progress.onTerminal());
            comparison.fillSource(bytes, 128 << 10);
            CopyComparison.Outcome outcome = comparison.run(bytes, warmUpRounds);
            print(outcome);
            if (json != null) {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), toJson(outcome));
            }
            report.write(() -> CompareReport.html(outcome, facts(bytes)));
            return outcome.offloaded().verified() && outcome.hostDriven().verified() ? 0 : 1;
        }
    }

    /** How this run was made, for the report. */
    private List<HtmlReport.Fact> facts(long bytes) {
        List<HtmlReport.Fact> facts = new ArrayList<>(target.facts());
        facts.add(new HtmlReport.Fact("size", human(bytes) + " (" + bytes + " bytes)"));
        facts.add(new HtmlReport.Fact("stack", stack.isEmpty() ? "none" : stack));
        facts.add(new HtmlReport.Fact("namespaces", "source " + sourceNsid + ", destination " + destinationNsid));
        facts.add(new HtmlReport.Fact("I/O queues", Integer.toString(ioQueues)));
        facts.add(new HtmlReport.Fact("warm-up rounds", warmUpRounds
                + " (unmeasured host-driven copies of up to 256 MiB)"));
        return facts;
    }

    /** A host enables format 2h where the controller has it; where it cannot, the copy says why it fell back. */
    private static void tryEnableCrossNamespaceCopy(NvmeTcpHost host) {
        try {
            NvmeNamespaceDevice.enableCrossNamespaceCopy(host);
        } catch (RuntimeException e) {
            // Left to the copy path's fallback reason.
        }
    }

    void print(CopyComparison.Outcome o) {
        table(o).print(out);
    }

    /** The figures of both runs side by side with their ratios, as the terminal and the report show them. */
    static Table table(CopyComparison.Outcome o) {
        CopyComparison.Run a = o.offloaded();
        CopyComparison.Run b = o.hostDriven();
        List<List<String>> rows = new ArrayList<>();
        // Each total, then its two parts: what the PDUs carried as data, and what carrying it cost (headers,
        // padding, digests); offloading removes the data, and only the headers of fewer PDUs are left.
        rows.add(counts("bytes sent", a.bytesSent(), b.bytesSent()));
        rows.add(counts("header bytes sent", a.headerBytesSent(), b.headerBytesSent()));
        rows.add(counts("data bytes sent", a.dataBytesSent(), b.dataBytesSent()));
        rows.add(counts("bytes received", a.bytesReceived(), b.bytesReceived()));
        rows.add(counts("header bytes received", a.headerBytesReceived(), b.headerBytesReceived()));
        rows.add(counts("data bytes received", a.dataBytesReceived(), b.dataBytesReceived()));
        rows.add(counts("PDUs sent", a.pdusSent(), b.pdusSent()));
        rows.add(counts("PDUs received", a.pdusReceived(), b.pdusReceived()));
        rows.add(List.of("wall time (s)", f("%.3f", a.seconds()), f("%.3f", b.seconds()),
                f("%.4f", a.seconds() / b.seconds())));
        rows.add(List.of("throughput (MB/s)", f("%.0f", a.megabytesPerSecond()), f("%.0f", b.megabytesPerSecond()),
                f("%.2f", a.megabytesPerSecond() / b.megabytesPerSecond())));
        rows.add(List.of("host CPU time (s)", f("%.3f", a.cpuSeconds()), f("%.3f", b.cpuSeconds()),
                f("%.4f", b.cpuSeconds() == 0 ? 0 : a.cpuSeconds() / b.cpuSeconds())));
        rows.add(counts("bytes offloaded", a.result().bytesOffloaded(), b.result().bytesOffloaded()));
        rows.add(List.of("result matches source", a.verified() ? "yes" : "NO", b.verified() ? "yes" : "NO", ""));
        List<String> notes = new ArrayList<>();
        for (CopyResult.Fallback fb : a.result().fallbacks()) {
            notes.add(String.format(Locale.ROOT, "offloaded run fell back for %s at %d: %s (%s)", human(fb.length()),
                    fb.offset(), fb.reason(), fb.detail()));
        }
        notes.add(String.format(Locale.ROOT, "wire bytes offloaded / host-driven: %.6f; wall time: %.4f", o.wireRatio(),
                o.timeRatio()));
        return new Table(String.format(Locale.ROOT, "copy of %s, stack: %s", human(o.size()), o.stack()),
                List.of(Table.Column.left("", 22), Table.Column.right("", "offloaded", 16),
                        Table.Column.right("", "host-driven", 16), Table.Column.right("", "ratio", 10)),
                rows, notes);
    }

    private static List<String> counts(String what, long a, long b) {
        return List.of(what, Long.toString(a), Long.toString(b), b == 0 ? "-" : f("%.6f", (double) a / b));
    }

    private static String f(String format, double value) {
        return String.format(Locale.ROOT, format, value);
    }

    static Map<String, Object> toJson(CopyComparison.Outcome o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("size_bytes", o.size());
        m.put("stack", o.stack());
        for (CopyComparison.Run r : new CopyComparison.Run[] {o.offloaded(), o.hostDriven()}) {
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("seconds", r.seconds());
            run.put("mb_s", r.megabytesPerSecond());
            run.put("bytes_sent", r.bytesSent());
            run.put("bytes_received", r.bytesReceived());
            run.put("header_bytes_sent", r.headerBytesSent());
            run.put("data_bytes_sent", r.dataBytesSent());
            run.put("header_bytes_received", r.headerBytesReceived());
            run.put("data_bytes_received", r.dataBytesReceived());
            run.put("pdus_sent", r.pdusSent());
            run.put("pdus_received", r.pdusReceived());
            run.put("cpu_seconds", r.cpuSeconds());
            run.put("bytes_offloaded", r.result().bytesOffloaded());
            run.put("bytes_by_fallback", r.result().bytesByFallback());
            run.put("fallbacks", r.result().fallbacks().stream().map(f -> Map.of("offset", f.offset(),
                    "length", f.length(), "reason", f.reason().name(), "detail", f.detail())).toList());
            run.put("verified", r.verified());
            m.put(r.mode().replace('-', '_'), run);
        }
        m.put("ratio_wire_bytes", o.wireRatio());
        m.put("ratio_wall_time", o.timeRatio());
        return m;
    }

    static long parseSize(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT).replace("IB", "");
        long unit = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long n = Math.multiplyExact(Long.parseLong(digits), unit);
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("--size: not a size: '" + text + "' (e.g. 1G, 256M, 4096)");
        }
    }

    static String human(long bytes) {
        return bytes >= 1 << 30 && bytes % (1 << 30) == 0 ? bytes / (1 << 30) + " GiB"
                : bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? bytes / (1 << 20) + " MiB" : bytes + " bytes";
    }
}
