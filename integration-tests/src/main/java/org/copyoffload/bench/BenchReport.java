package org.copyoffload.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The figures of one {@code copyoffload bench} run. Each is printed as one line when it is measured and kept under a
 * stable name (lower case, dot-separated: {@code group.measurement.unit}), so that {@code --json FILE} can write every
 * printed figure for tracking from run to run. Names are part of the interface: the README lists them.
 */
final class BenchReport {
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]+(\\.[a-z0-9_]+)+");

    /** One measured value, its unit as printed ({@code MB/s}, {@code IOPS}, {@code ratio}, {@code s}, ...). */
    record Figure(String label, double value, String unit) {
    }

    private final PrintStream out;
    private final Map<String, Figure> figures = new LinkedHashMap<>();

    BenchReport(PrintStream out) {
        this.out = out;
    }

    /** A line that is not a figure: what a group measures and how. */
    void heading(String text) {
        out.println(text);
    }

    /** Prints {@code label value unit (detail)} and keeps the value under {@code name}. */
    void figure(String name, String label, double value, String unit, String detail) {
        keep(name, label, value, unit);
        String number = unit.equals("ratio") ? String.format(Locale.ROOT, "%10.2f", value)
                : String.format(Locale.ROOT, "%10.0f %s", value, unit);
        out.println(String.format(Locale.ROOT, "%-44s %s", label, number)
                + (detail == null || detail.isEmpty() ? "" : (unit.equals("ratio") ? "   (" : "  (") + detail + ")"));
    }

    /** Keeps a value that a line printed by the caller shows (several figures on one line). */
    void keep(String name, String label, double value, String unit) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("figure name " + name + " is not of the form group.measurement");
        }
        if (figures.putIfAbsent(name, new Figure(label, value, unit)) != null) {
            throw new IllegalStateException("figure " + name + " measured twice in one run");
        }
    }

    Map<String, Figure> figures() {
        return Map.copyOf(figures);
    }

    /**
     * Writes {@code {"run": {...}, "figures": {name: {"value", "unit", "label"}}}} in the order measured; a value that
     * is not a number (a ratio to nothing) is written as null.
     */
    void writeJson(Path file, Map<String, Object> run) throws IOException {
        Map<String, Object> figureMap = new LinkedHashMap<>();
        figures.forEach((name, f) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("value", Double.isFinite(f.value()) ? f.value() : null);
            entry.put("unit", f.unit());
            entry.put("label", f.label());
            figureMap.put(name, entry);
        });
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("run", run);
        document.put("figures", figureMap);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), document);
    }
}
