package org.copyoffload.initiator.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A tool's table of figures, made once and shown twice: in fixed-width columns on the terminal ({@link #print}) and
 * as an HTML table in the report ({@link HtmlReport}), so that the two cannot disagree.
 *
 * @param title the line above the table
 * @param columns the columns, left to right
 * @param rows the cells of each row, as many as there are columns (formatted already)
 * @param notes lines below the table
 */
record Table(String title, List<Column> columns, List<List<String>> rows, List<String> notes) {
    /**
     * One column: its heading, its width on the terminal (0 for none), whether it is left-aligned, and the group of
     * columns it belongs to ("" for none): a group is headed by its name in HTML and set off by {@code |} on the
     * terminal.
     */
    record Column(String group, String heading, int width, boolean left) {
        static Column left(String heading, int width) {
            return new Column("", heading, width, true);
        }

        static Column right(String group, String heading, int width) {
            return new Column(group, heading, width, false);
        }
    }

    Table {
        columns = List.copyOf(columns);
        rows = rows.stream().map(List::copyOf).toList();
        notes = List.copyOf(notes);
        for (List<String> row : rows) {
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException(row.size() + " cells for " + columns.size() + " columns: " + row);
            }
        }
    }

    /** The table in fixed-width columns, each line without trailing blanks. */
    void print(PrintStream out) {
        out.println(title);
        line(out, columns.stream().map(Column::heading).toList());
        rows.forEach(row -> line(out, row));
        notes.forEach(out::println);
    }

    private void line(PrintStream out, List<String> cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            Column c = columns.get(i);
            if (i > 0) {
                b.append(startsGroup(i) ? " | " : " ");
            }
            String pad = " ".repeat(Math.max(0, c.width() - cells.get(i).length()));
            b.append(c.left() ? cells.get(i) + pad : pad + cells.get(i));
        }
        out.println(b.toString().stripTrailing());
    }

    /** Whether column {@code i} begins a group other than the previous column's (the ungrouped "" begins none). */
    boolean startsGroup(int i) {
        return i > 0 && !columns.get(i).group().isEmpty() && !columns.get(i).group().equals(columns.get(i - 1).group());
    }

    /** A run of neighbouring columns of one group, for a heading row above the headings. */
    record Span(String group, int columns) {
    }

    /** The columns' groups as spans, left to right. */
    List<Span> spans() {
        List<Span> spans = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            String g = columns.get(i).group();
            if (!spans.isEmpty() && spans.getLast().group().equals(g) && !startsGroup(i)) {
                spans.set(spans.size() - 1, new Span(g, spans.getLast().columns() + 1));
            } else {
                spans.add(new Span(g, 1));
            }
        }
        return spans;
    }
}
