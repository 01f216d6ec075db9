package org.copyoffload.initiator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report page's pieces without a target: escaping, the table both ways, the charts' scale, the atomic write. */
class HtmlReportTest {
    static final String HOSTILE = "<script>alert('x')</script> & \"q\"";

    @TempDir
    Path dir;

    static Table table(String cell) {
        return new Table("title " + cell, List.of(Table.Column.left("", 8), Table.Column.right("g", "a", 4),
                Table.Column.right("g", "b", 4), Table.Column.right("h", "c", 6), Table.Column.right("", "ok", 0)),
                List.of(List.of("row", "1", "22", cell, "yes")), List.of("note " + cell));
    }

    @Test
    void escapingLeavesNoMarkupAndNoWayOutOfAnAttribute() {
        assertThat(HtmlReport.escape(HOSTILE))
                .isEqualTo("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
        assertThat(HtmlReport.escape("crypt-plain64:linear 1 MiB")).isEqualTo("crypt-plain64:linear 1 MiB");
    }

    @Test
    void aHostileValueAnywhereInThePageIsShownNotRun() {
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put("offloaded " + HOSTILE, List.of(1.0, 2.0));
        String page = HtmlReport.page("title " + HOSTILE, "summary " + HOSTILE,
                List.of(new HtmlReport.Fact("stack", HOSTILE), new HtmlReport.Fact(HOSTILE, "v")), table(HOSTILE),
                List.of(ReportCharts.bars("chart " + HOSTILE, "y", List.of("a", "b"), series)));
        assertThat(page).doesNotContain("<script", "alert('x')", "\"q\"");
        String escaped = HtmlReport.escape(HOSTILE);
        // Title (twice), summary, fact value, fact name, table title, cell, note, and the chart's alt text.
        assertThat(page.split(java.util.regex.Pattern.quote(escaped), -1)).hasSize(10);
        assertThat(page).contains("<tr><th>stack</th><td>" + escaped + "</td></tr>", "alt=\"chart " + escaped + "\"");
    }

    @Test
    void theTableIsTheSameOnTheTerminalAndInThePage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        table("x").print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        // Groups set off by '|' on the terminal; the last column has no width and no trailing blanks.
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("""
                title x
                         |    a    b |      c ok
                row      |    1   22 |      x yes
                note x
                """);
        String page = HtmlReport.page("t", "s", List.of(), table("x"), List.of());
        assertThat(page).contains("<tr><th colspan=\"1\"></th><th colspan=\"2\" class=\"group\">g</th>"
                + "<th colspan=\"1\" class=\"group\">h</th><th colspan=\"1\"></th></tr>");
        assertThat(page).contains("<tr><td>row</td><td class=\"num start\">1</td><td class=\"num\">22</td>"
                + "<td class=\"num start\">x</td><td class=\"num\">yes</td></tr>");
    }

    @Test
    void chartsGoLogarithmicOnlyWhereTheValuesSpanDecadesAndNoneIsZero() {
        assertThat(ReportCharts.bars("wire", "bytes", List.of("sent"), Map.of("o", List.of(888.0), "h",
                List.of(2.1e9))).getStyler().isYAxisLogarithmic()).isTrue();
        assertThat(ReportCharts.bars("wire", "bytes", List.of("sent"), Map.of("o", List.of(0.0), "h",
                List.of(2.1e9))).getStyler().isYAxisLogarithmic()).isFalse();
        assertThat(ReportCharts.lines("time", "x", "s", List.of(10.0, 20.0), Map.of("o", List.of(0.2, 0.3), "h",
                List.of(0.4, 0.5))).getStyler().isYAxisLogarithmic()).isFalse();
        // Nothing measurable (CPU time 0 both ways) still draws.
        assertThat(ReportCharts.pngDataUri(ReportCharts.bars("cpu", "s", List.of("cpu"), Map.of("o", List.of(0.0),
                "h", List.of(0.0))))).startsWith("data:image/png;base64,iVBORw0KGgo");
    }

    @Test
    void thePageReplacesAnOldOneWholeAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("r.html");
        Files.writeString(file, "old");
        HtmlReport.write(file, "<html>new</html>");
        assertThat(Files.readString(file)).isEqualTo("<html>new</html>");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }
}
