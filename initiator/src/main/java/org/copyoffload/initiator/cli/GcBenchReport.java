package org.copyoffload.initiator.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.XYChart;

/** {@code gc-bench --report}: the sweep's page, its table and line charts over the valid fraction. */
final class GcBenchReport {
    private static final String X = "valid blocks (%)";

    private GcBenchReport() {
    }

    /** The page of the sweep's {@code points}; {@code facts} say how it was made (target, zones, fractions...). */
    static String html(int victims, long zoneBlocks, List<GcBench.Point> points, List<HtmlReport.Fact> facts) {
        List<Double> x = points.stream().map(p -> p.validFraction() * 100).toList();
        List<XYChart> charts = List.of(
                ReportCharts.lines("Bytes on the wire", X, "bytes", x,
                        both(points, GcBench.Run::wireBytes)),
                ReportCharts.lines("Wall time", X, "seconds", x, both(points, GcBench.Run::seconds)),
                ReportCharts.lines("Bytes on the wire, offloaded / host-driven", X, "ratio", x,
                        Map.of("wire bytes", ratio(points, GcBench.Run::wireBytes))),
                ReportCharts.lines("Time, offloaded / host-driven", X, "ratio", x, twoRatios(points)));
        return HtmlReport.page("copyoffload gc-bench: " + points.size() + " valid fractions",
                "Garbage collection on a zoned namespace: per valid fraction, the valid blocks of the victim zones "
                        + "moved into free zones once with NVMe Copy and once by READ + Zone Append; every moved block "
                        + "read back.",
                HtmlReport.withRunFacts(facts), GcBenchCommand.table(victims, zoneBlocks, points), charts);
    }

    private static Map<String, List<Double>> both(List<GcBench.Point> points, ToDoubleFunction<GcBench.Run> figure) {
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put("offloaded", points.stream().map(p -> figure.applyAsDouble(p.offloaded())).toList());
        series.put("host-driven", points.stream().map(p -> figure.applyAsDouble(p.hostDriven())).toList());
        return series;
    }

    private static Map<String, List<Double>> twoRatios(List<GcBench.Point> points) {
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put("wall time", ratio(points, GcBench.Run::seconds));
        series.put("host CPU time", ratio(points, GcBench.Run::cpuSeconds));
        return series;
    }

    /** Offloaded over host-driven per point; 0 where host-driven is 0 (CPU time too short to measure). */
    private static List<Double> ratio(List<GcBench.Point> points, ToDoubleFunction<GcBench.Run> figure) {
        return points.stream().map(p -> {
            double b = figure.applyAsDouble(p.hostDriven());
            return b == 0 ? 0 : figure.applyAsDouble(p.offloaded()) / b;
        }).toList();
    }
}
