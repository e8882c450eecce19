package dev.hypervisor.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The result table: each figure beside its baseline from the same run, the ratio, the target and the verdict. A
 * figure measured from samples is refused when it has none: that run is broken, and nothing must never pass.
 */
public final class Report {

    /** One figure; {@code ratio} is ours divided by the baseline. */
    public record Row(String figure, String ours, String baseline, double ratio, String target, boolean pass) {}

    /** A figure with no samples on a side: the run that was to measure it is broken. */
    public static final class NoSamples extends IllegalStateException {
        NoSamples(String figure, String side) {
            super("figure \"" + figure + "\" has no samples (" + side + "): the run is broken");
        }
    }

    /** A row's target when the figure has none: it is printed for information, with "-" as its result. */
    public static final String PRINTED = "printed";

    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public synchronized void add(Row row) {
        rows.add(row);
    }

    /** A line printed under the table: how a figure was made up, or what else was measured beside it. */
    public synchronized void note(String format, Object... args) {
        notes.add(String.format(Locale.ROOT, format, args));
    }

    /** The {@code p} percentile of a side's samples of {@code figure}; refuses a side without samples. */
    public static long percentile(String figure, String side, Percentiles samples, double p) {
        if (samples.count() == 0) {
            throw new NoSamples(figure, side);
        }
        return samples.percentile(p);
    }

    /** A lower-is-better latency from samples: passes when ours / baseline of percentile {@code p} <= {@code maxRatio}. */
    public void latency(String figure, Percentiles ours, Percentiles baseline, double p, double maxRatio) {
        latency(figure, percentile(figure, "ours", ours, p), percentile(figure, "baseline", baseline, p), maxRatio);
    }

    /** A lower-is-better latency: passes when ours / baseline <= {@code maxRatio}. */
    public void latency(String figure, long oursNanos, long baselineNanos, double maxRatio) {
        latency(figure, oursNanos, baselineNanos, "<= " + times(maxRatio),
                (double) oursNanos / baselineNanos <= maxRatio);
    }

    /** A latency against a target of the figure's own ({@code pass} says whether it holds). */
    public void latency(String figure, long oursNanos, long baselineNanos, String target, boolean pass) {
        add(new Row(figure, millis(oursNanos), millis(baselineNanos), (double) oursNanos / baselineNanos, target, pass));
    }

    /** A latency printed for information beside its baseline, with no target. */
    public void printed(String figure, long oursNanos, long baselineNanos) {
        latency(figure, oursNanos, baselineNanos, PRINTED, true);
    }

    /** A higher-is-better rate: passes when ours / baseline >= {@code minRatio}. */
    public void rate(String figure, double ours, double baseline, String unit, double minRatio) {
        double ratio = ours / baseline;
        add(new Row(figure, String.format(Locale.ROOT, "%.0f %s", ours, unit),
                String.format(Locale.ROOT, "%.0f %s", baseline, unit), ratio, ">= " + times(minRatio),
                ratio >= minRatio));
    }

    public synchronized boolean allPass() {
        return rows.stream().allMatch(Row::pass);
    }

    public synchronized void print(PrintStream out) {
        String[] header = {"figure", "ours", "baseline", "ratio", "target", "result"};
        List<String[]> lines = new ArrayList<>();
        lines.add(header);
        // In figure order, whatever order the figures were measured in.
        for (Row r : rows.stream().sorted(Comparator.comparing(r -> r.figure().split(" ")[0])).toList()) {
            lines.add(new String[] {r.figure(), r.ours(), r.baseline(),
                    Double.isNaN(r.ratio()) ? "-" : times(r.ratio()), r.target(), verdict(r)});
        }
        int[] widths = IntStream.range(0, header.length)
                .map(i -> lines.stream().mapToInt(line -> line[i].length()).max().orElseThrow()).toArray();
        for (String[] line : lines) {
            // Numbers right-aligned, words left.
            out.println(IntStream.range(0, widths.length).mapToObj(i -> pad(line[i], widths[i], i > 0 && i < 4))
                    .collect(Collectors.joining(" | ")).stripTrailing());
            if (line == header) {
                out.println(Arrays.stream(widths).mapToObj("-"::repeat).collect(Collectors.joining("-|-")));
            }
        }
        if (!notes.isEmpty()) {
            out.println();
            notes.forEach(out::println);
        }
    }

    /** PASS or FAIL; "n/a" for a passing row whose baseline cannot be measured here; "-" if only {@link #PRINTED}. */
    static String verdict(Row r) {
        if (r.target().equals(PRINTED)) {
            return "-";
        }
        if (r.baseline().equals("n/a") && Double.isNaN(r.ratio())) {
            return "n/a";
        }
        return r.pass() ? "PASS" : "FAIL";
    }

    public static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
    }

    /** 100000 as "100k", 1500 as "1500". */
    public static String count(int n) {
        return n % 1000 == 0 ? n / 1000 + "k" : Integer.toString(n);
    }

    public static String times(double ratio) {
        return String.format(Locale.ROOT, "%.2fx", ratio);
    }

    public static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }

    /** With its sign: "+25.6 MiB", "-3.0 MiB". */
    public static String signedMebibytes(long bytes) {
        return String.format(Locale.ROOT, "%+.1f MiB", bytes / (1024.0 * 1024));
    }

    public static String kibibytes(long bytes) {
        return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
    }

    /** Decimal megabytes, as the "under 100 MB" counts them. */
    public static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    public static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }
}
