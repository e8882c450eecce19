package dev.hypervisor.bench.images;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The result table in the control-plane benchmark's format ({@code figure | ours | baseline |
 * ratio | target | result}); {@code dev.hypervisor.bench.Report} is package-private there.
 */
final class ResultTable {

    /** One figure; {@code ratio} is ours divided by the baseline. */
    record Row(String figure, String ours, String baseline, double ratio, String target, boolean pass) {}

    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    synchronized void add(Row row) {
        rows.add(row);
    }

    /** A line printed under the table: how a figure was made up, or what else was measured beside it. */
    synchronized void note(String format, Object... args) {
        notes.add(String.format(Locale.ROOT, format, args));
    }

    synchronized boolean allPass() {
        return rows.stream().allMatch(Row::pass);
    }

    synchronized void print(PrintStream out) {
        String[] header = {"figure", "ours", "baseline", "ratio", "target", "result"};
        List<String[]> lines = new ArrayList<>();
        lines.add(header);
        for (Row r : rows) {
            lines.add(new String[] {r.figure(), r.ours(), r.baseline(), times(r.ratio()), r.target(),
                    r.pass() ? "PASS" : "FAIL"});
        }
        int[] widths = new int[header.length];
        for (String[] line : lines) {
            for (int i = 0; i < line.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        for (int n = 0; n < lines.size(); n++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                String cell = lines.get(n)[i];
                String fill = " ".repeat(widths[i] - cell.length());
                sb.append(i == 0 ? "" : " | ").append(i > 0 && i < 4 ? fill + cell : cell + fill);
            }
            out.println(sb.toString().stripTrailing());
            if (n == 0) {
                StringBuilder rule = new StringBuilder();
                for (int i = 0; i < widths.length; i++) {
                    rule.append(i == 0 ? "" : "-|-").append("-".repeat(widths[i]));
                }
                out.println(rule);
            }
        }
        if (!notes.isEmpty()) {
            out.println();
            notes.forEach(out::println);
        }
    }

    static String times(double ratio) {
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }

    static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }
}
