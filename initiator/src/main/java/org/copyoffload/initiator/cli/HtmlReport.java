package org.copyoffload.initiator.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * The page a tool's {@code --report} writes: one self-contained HTML file (styles inline, charts as {@code data:}
 * URIs, no script, nothing fetched) with a title, how and where the run was made, the tool's {@link Table} and its
 * charts. Every text that goes in is escaped.
 */
final class HtmlReport {
    /** One line of "how and where it ran": a name and its value. */
    record Fact(String name, String value) {
    }

    private static final String STYLE = """
            body { font-family: sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; }
            th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; }
            td.num { text-align: right; font-family: monospace; }
            th.group { border-bottom: 2px solid #888; }
            .start { border-left: 2px solid #888; }
            table.facts th { text-align: left; font-weight: normal; color: #555; }
            figure { display: inline-block; margin: 0.5em; }
            """;

    private HtmlReport() {
    }

    /** The facts every report gives after the tool's own: when, with which Java, on what. */
    static List<Fact> withRunFacts(List<Fact> toolFacts) {
        List<Fact> all = new ArrayList<>(toolFacts);
        all.add(new Fact("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()));
        all.add(new Fact("java", System.getProperty("java.vm.name") + " " + Runtime.version()));
        all.add(new Fact("host", System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " CPUs"));
        return all;
    }

    /** The page: {@code title}, {@code summary}, the facts, {@code table} and the {@code charts} (each a PNG in it). */
    static String page(String title, String summary, List<Fact> facts, Table table,
                       List<? extends Chart<?, ?>> charts) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(escape(title)).append("</title>\n<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n")
                .append("<h1>").append(escape(title)).append("</h1>\n<p>").append(escape(summary)).append("</p>\n")
                .append("<table class=\"facts\">\n");
        for (Fact f : facts) {
            b.append("<tr><th>").append(escape(f.name())).append("</th><td>").append(escape(f.value()))
                    .append("</td></tr>\n");
        }
        b.append("</table>\n<h2>Figures</h2>\n");
        table(b, table);
        b.append("<h2>Charts</h2>\n");
        for (Chart<?, ?> chart : charts) {
            b.append("<figure><img width=\"").append(chart.getWidth()).append("\" height=\"").append(chart.getHeight())
                    .append("\" alt=\"").append(escape(chart.getTitle())).append("\" src=\"")
                    .append(ReportCharts.pngDataUri(chart)).append("\"></figure>\n");
        }
        return b.append("</body>\n</html>\n").toString();
    }

    /** The table as HTML: a row of group headings where there are groups, the headings, the rows, the notes. */
    private static void table(StringBuilder b, Table t) {
        b.append("<p>").append(escape(t.title())).append("</p>\n<table class=\"figures\">\n");
        if (t.columns().stream().anyMatch(c -> !c.group().isEmpty())) {
            b.append("<tr>");
            for (Table.Span s : t.spans()) {
                b.append("<th colspan=\"").append(s.columns())
                        .append(s.group().isEmpty() ? "\">" : "\" class=\"group\">").append(escape(s.group()))
                        .append("</th>");
            }
            b.append("</tr>\n");
        }
        b.append("<tr>");
        for (int i = 0; i < t.columns().size(); i++) {
            b.append(cellStart("th", t, i)).append(escape(t.columns().get(i).heading())).append("</th>");
        }
        b.append("</tr>\n");
        for (List<String> row : t.rows()) {
            b.append("<tr>");
            for (int i = 0; i < row.size(); i++) {
                b.append(cellStart("td", t, i)).append(escape(row.get(i))).append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
        for (String note : t.notes()) {
            b.append("<p>").append(escape(note)).append("</p>\n");
        }
    }

    private static String cellStart(String tag, Table t, int column) {
        List<String> classes = new ArrayList<>();
        if (tag.equals("td") && !t.columns().get(column).left()) {
            classes.add("num");
        }
        if (t.startsGroup(column)) {
            classes.add("start");
        }
        return classes.isEmpty() ? "<" + tag + ">" : "<" + tag + " class=\"" + String.join(" ", classes) + "\">";
    }

    /** {@code text} safe in HTML text and in a quoted attribute value. */
    static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Writes the page to {@code file} at once: into a temporary file beside it, then moved over it, so that no reader
     * (nor a run that fails halfway) ever sees half a page.
     */
    static void write(Path file, String html) throws IOException {
        Path target = file.toAbsolutePath();
        // Readable like any file the user writes (umask permitting); a temporary file would be 0600.
        FileAttribute<?>[] attributes = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                        "rw-r--r--"))} : new FileAttribute<?>[0];
        Path temporary = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp", attributes);
        try {
            Files.writeString(temporary, html, StandardCharsets.UTF_8);
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
    }
}
