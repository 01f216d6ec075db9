package org.copyoffload.initiator.cli;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The reports' charts, drawn by XChart in one style, and their PNG as a {@code data:} URI for the page. PNG rather than
 * XChart's SVG, which draws every glyph as a path: 500 KB for one small bar chart, against 20 KB of PNG.
 */
final class ReportCharts {
    static {
        // Before XChart makes AWT look for a display: reports are written on servers that have none.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    static final int WIDTH = 640;
    static final int HEIGHT = 400;
    /** Offloaded in blue, host-driven in orange, a third series in green: the same in every chart. */
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c)};

    private ReportCharts() {
    }

    /** Grouped bars: one group per category, one bar per series in it ({@code series} values by category). */
    static CategoryChart bars(String title, String yTitle, List<String> categories, Map<String, List<Double>> series) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).yAxisTitle(yTitle)
                .build();
        style(chart, title, series);
        series.forEach((name, values) -> chart.addSeries(name, categories, values));
        return chart;
    }

    /** Lines with markers over {@code x}, one per series. */
    static XYChart lines(String title, String xTitle, String yTitle, List<Double> x, Map<String, List<Double>> series) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        style(chart, title, series);
        series.forEach((name, values) -> chart.addSeries(name, x, values).setMarker(SeriesMarkers.CIRCLE));
        return chart;
    }

    /**
     * A logarithmic axis where the values span three decades or more (offloaded against host-driven bytes differ by
     * up to 10^6, and on a linear axis the offloaded bar would not show), if none is zero (no logarithm); linear
     * otherwise. A log axis starts one decade below the smallest value, so the smallest bar still has a height, and
     * the title says it is one.
     */
    private static void style(Chart<? extends AxesChartStyler, ?> chart, String title,
                              Map<String, List<Double>> series) {
        AxesChartStyler styler = chart.getStyler();
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setPlotBorderColor(Color.LIGHT_GRAY);
        styler.setSeriesColors(COLORS);
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendBorderColor(Color.WHITE);
        double min = series.values().stream().flatMap(List::stream).mapToDouble(Double::doubleValue).min().orElse(0);
        double max = series.values().stream().flatMap(List::stream).mapToDouble(Double::doubleValue).max().orElse(0);
        if (min > 0 && max / min >= 1000) {
            styler.setYAxisLogarithmic(true);
            styler.setYAxisMin(Math.pow(10, Math.floor(Math.log10(min) - 1e-9)));
            chart.setTitle(title + " (log scale)");
        } else if (min >= 0) {
            // From zero, so that a bar's or a point's height is its value.
            styler.setYAxisMin(0.0);
        }
    }

    /** The chart as a PNG in a {@code data:} URI, so that the page needs no other file. */
    static String pngDataUri(Chart<?, ?> chart) {
        try {
            return "data:image/png;base64," + Base64.getEncoder().encodeToString(
                    BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
