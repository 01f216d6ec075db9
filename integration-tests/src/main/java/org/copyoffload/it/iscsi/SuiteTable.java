package org.copyoffload.it.iscsi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.copyoffload.it.iscsi.LibiscsiSuite.Outcome;
import org.copyoffload.it.iscsi.LibiscsiSuite.Result;
import org.copyoffload.it.iscsi.LibiscsiSuite.TestResult;
import org.copyoffload.it.iscsi.LibiscsiSuite.Totals;

/**
 * Libiscsi results side by side, as markdown: ours against a reference target (tgt, LIO), test by test and totalled
 * per suite ({@code SCSI.ExtendedCopy}, {@code SCSI.ReceiveCopyResults}, ...), written to
 * {@code target/iscsi-logs/NAME.table.md}.
 *
 * <pre>{@code
 * Path table = SuiteTable.write("ours-vs-tgt", List.of(
 *         new SuiteTable.Column("ours", oursResult),
 *         new SuiteTable.Column("tgt", tgtResult)));
 * }</pre>
 *
 * <p>Totals count P(assed), F(ailed), S(kipped) and, only when there are any, U(nfinished: timed out, aborted or
 * not run); CUnit's own "passed" is P + S. A test only one side ran shows {@code -} on the other.
 */
public final class SuiteTable {

    /** One side: a label and its run. */
    public record Column(String label, Result result) {
        public Column {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(result, "result");
        }
    }

    private SuiteTable() {
    }

    /** {@link #markdown} written to {@code IscsiLogs.dir()/NAME.table.md}; returns the path. */
    public static Path write(String name, List<Column> columns) throws IOException {
        Path out = IscsiLogs.dir().resolve(IscsiLogs.sanitize(name) + ".table.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, markdown(name, columns));
        return out;
    }

    /** Ours beside a reference: {@code write(name, [ours, reference])}. */
    public static Path write(String name, String oursLabel, Result ours, String referenceLabel, Result reference)
            throws IOException {
        return write(name, List.of(new Column(oursLabel, ours), new Column(referenceLabel, reference)));
    }

    /** The table as markdown: the runs, totals per suite, then every test. */
    public static String markdown(String title, List<Column> columns) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("no column");
        }
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(title).append("\n\n");
        for (Column c : columns) {
            Result r = c.result();
            sb.append("- **").append(c.label()).append("**: `").append(r.options().url()).append("`, --test=")
                    .append(String.join(",", r.options().tests()))
                    .append(r.options().dataloss() ? ", --dataloss" : "")
                    .append(r.options().multipathUrl() != null ? ", multipath `" + r.options().multipathUrl() + "`" : "")
                    .append(": ").append(r.totals()).append(", ")
                    .append(String.format("%.1f s", r.elapsed().toMillis() / 1000.0))
                    .append(r.invocations().size() > 1 ? ", " + r.invocations().size() + " invocations" : "")
                    .append(", log `").append(r.logFile().getFileName()).append("`\n");
            r.problems().forEach(p -> sb.append("  - problem: ").append(escape(p)).append('\n'));
        }
        sb.append("\nP passed, F failed, S skipped (CUnit counts S as passed), U unfinished (timed out, aborted, "
                + "not run).\n\n");

        // Suites, in the order they first appear in any column.
        Set<String> groups = new LinkedHashSet<>();
        Set<String> names = new LinkedHashSet<>();
        for (Column c : columns) {
            for (TestResult t : c.result().tests()) {
                groups.add(t.group());
                names.add(t.name());
            }
        }
        List<String> header = new ArrayList<>(List.of("suite", "tests"));
        columns.forEach(c -> header.add(c.label()));
        List<List<String>> rows = new ArrayList<>();
        List<String> all = new ArrayList<>(List.of("**all**", Integer.toString(names.size())));
        columns.forEach(c -> all.add("**" + cell(c.result().totals()) + "**"));
        rows.add(all);
        for (String g : groups) {
            List<String> row = new ArrayList<>(List.of(g, Long.toString(names.stream()
                    .filter(n -> n.startsWith(g + ".")).count())));
            for (Column c : columns) {
                Totals t = c.result().totals(g);
                row.add(t.total() == 0 ? "-" : cell(t));
            }
            rows.add(row);
        }
        sb.append("## Per suite\n\n").append(table(header, rows)).append('\n');

        List<String> header2 = new ArrayList<>(List.of("test"));
        columns.forEach(c -> header2.add(c.label()));
        List<List<String>> rows2 = new ArrayList<>();
        List<Map<String, TestResult>> byName = new ArrayList<>();
        for (Column c : columns) {
            Map<String, TestResult> m = new LinkedHashMap<>();
            c.result().tests().forEach(t -> m.putIfAbsent(t.name(), t));
            byName.add(m);
        }
        for (String n : names) {
            List<String> row = new ArrayList<>(List.of(n));
            Set<Optional<Outcome>> outcomes = new LinkedHashSet<>();
            for (Map<String, TestResult> m : byName) {
                Optional<TestResult> t = Optional.ofNullable(m.get(n));
                outcomes.add(t.map(TestResult::outcome));
                row.add(t.map(SuiteTable::testCell).orElse("-"));
            }
            if (outcomes.size() > 1) {
                row.set(0, "**" + n + "**");
            }
            rows2.add(row);
        }
        sb.append("## Per test").append(columns.size() > 1 ? " (bold: the outcomes differ, or one side did not run it)" : "").append("\n\n")
                .append(table(header2, rows2));
        return sb.toString();
    }

    /** {@code P 6 / F 0 / S 1}, with {@code / U n} when some tests did not finish. */
    static String cell(Totals t) {
        return "P " + t.passed() + " / F " + t.failed() + " / S " + t.skipped()
                + (t.unfinished() > 0 ? " / U " + t.unfinished() : "");
    }

    private static String testCell(TestResult t) {
        String note = t.note();
        if (note.length() > 70) {
            note = note.substring(0, 67) + "...";
        }
        return t.outcome() + (note.isEmpty() ? "" : ": " + escape(note));
    }

    private static String escape(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    /** A markdown table, columns padded for reading as text too. */
    static String table(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.max(3, header.get(i).length());
            for (List<String> row : rows) {
                w[i] = Math.max(w[i], row.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        appendRow(sb, header, w);
        sb.append('|');
        for (int x : w) {
            sb.append("-".repeat(x + 2)).append('|');
        }
        sb.append('\n');
        rows.forEach(r -> appendRow(sb, r, w));
        return sb.toString();
    }

    private static void appendRow(StringBuilder sb, List<String> row, int[] w) {
        sb.append('|');
        for (int i = 0; i < w.length; i++) {
            sb.append(' ').append(row.get(i)).append(" ".repeat(w[i] - row.get(i).length())).append(" |");
        }
        sb.append('\n');
    }
}
