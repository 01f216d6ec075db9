package org.copyoffload.initiator.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;

/** {@code compare --report}: the comparison's page, its table and bar charts of offloaded against host-driven. */
final class CompareReport {
    private CompareReport() {
    }

    /** The page of {@code o}; {@code facts} say how the run was made (target, sizes, stack...). */
    static String html(CopyComparison.Outcome o, List<HtmlReport.Fact> facts) {
        CopyComparison.Run a = o.offloaded();
        CopyComparison.Run b = o.hostDriven();
        List<CategoryChart> charts = List.of(
                ReportCharts.bars("Bytes on the wire", "bytes", List.of("sent", "received"),
                        both(a.bytesSent(), a.bytesReceived(), b.bytesSent(), b.bytesReceived())),
                ReportCharts.bars("PDUs", "PDUs", List.of("sent", "received"),
                        both(a.pdusSent(), a.pdusReceived(), b.pdusSent(), b.pdusReceived())),
                ReportCharts.bars("Wall time and host CPU time", "seconds", List.of("wall time", "host CPU time"),
                        both(a.seconds(), a.cpuSeconds(), b.seconds(), b.cpuSeconds())));
        return HtmlReport.page("copyoffload compare: " + CompareCommand.human(o.size()) + ", stack " + o.stack(),
                "The same copy through the host's copy path twice: offloaded where the devices allow it, then forced "
                        + "host-driven (READ + WRITE); each result checked against the source by SHA-256.",
                HtmlReport.withRunFacts(facts), CompareCommand.table(o), charts);
    }

    /** Two values of the offloaded run and the same two of the host-driven one, as two series. */
    private static Map<String, List<Double>> both(double a1, double a2, double b1, double b2) {
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put("offloaded", List.of(a1, a2));
        series.put("host-driven", List.of(b1, b2));
        return series;
    }
}
