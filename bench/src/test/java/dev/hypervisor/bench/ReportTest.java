package dev.hypervisor.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The verdict of each figure follows from ours / baseline and its target; a figure of nothing is refused. */
class ReportTest {

    private final Report report = new Report();

    private List<String> printed() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        report.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private static String row(List<String> table, String figure) {
        return table.stream().filter(line -> line.startsWith(figure)).findFirst().orElseThrow();
    }

    @Test
    void aLatencyPassesUpToItsMaximumRatioOfOursOverTheBaseline() {
        report.latency("1 at the limit", 2_000_000, 1_000_000, 2.0);
        assertThat(report.allPass()).isTrue();

        report.latency("1 over the limit", 2_000_001, 1_000_000, 2.0);

        assertThat(report.allPass()).isFalse();
        List<String> table = printed();
        assertThat(row(table, "1 at the limit")).contains("2.000 ms", "1.000 ms", "2.00x", "<= 2.00x", "PASS");
        assertThat(row(table, "1 over the limit")).contains("2.00x", "FAIL");
    }

    @Test
    void aLatencyFromSamplesComparesTheirPercentiles() {
        report.latency("2 p99 of samples", Percentiles.of(1_000_000, 9_000_000), Percentiles.of(3_000_000, 4_000_000),
                99, 2.0);

        assertThat(report.allPass()).as("9 ms over 4 ms is 2.25x").isFalse();
        assertThat(row(printed(), "2 p99")).contains("9.000 ms", "4.000 ms", "2.25x", "FAIL");
    }

    @Test
    void aRatePassesFromItsMinimumRatioUp() {
        report.rate("3 fast enough", 500, 1000, "calls/s", 0.5);
        assertThat(report.allPass()).isTrue();

        report.rate("3 too slow", 499, 1000, "calls/s", 0.5);

        assertThat(report.allPass()).isFalse();
        assertThat(row(printed(), "3 fast enough")).contains("500 calls/s", "1000 calls/s", "0.50x", ">= 0.50x", "PASS");
    }

    @Test
    void aPrintedFigureHasNoVerdictAndFailsNothing() {
        report.printed("4 floor", 30_000_000, 10_000_000);

        assertThat(report.allPass()).isTrue();
        assertThat(row(printed(), "4 floor")).contains("3.00x", "printed").endsWith("| -");
    }

    @Test
    void aBaselineThatCouldNotBeMeasuredReadsNotApplicable() {
        report.add(new Report.Row("1 vs podman", "10.000 ms", "n/a", Double.NaN, "< 1.00x", true));

        assertThat(row(printed(), "1 vs podman")).matches(".*\\|\\s+- \\|.*").endsWith("| n/a");
    }

    @Test
    void aFigureWithoutSamplesOnEitherSideIsRefusedByName() {
        Percentiles some = Percentiles.of(1_000_000);

        assertThatThrownBy(() -> report.latency("1 GetInstance p50", new Percentiles(), some, 50, 2.0))
                .isInstanceOf(Report.NoSamples.class)
                .hasMessage("figure \"1 GetInstance p50\" has no samples (ours): the run is broken");
        assertThatThrownBy(() -> report.latency("1 GetInstance p50", some, new Percentiles(), 50, 2.0))
                .isInstanceOf(Report.NoSamples.class).hasMessageContaining("(baseline)");
        assertThatThrownBy(() -> Report.percentile("4 floor", "ours", new Percentiles(), 99))
                .isInstanceOf(Report.NoSamples.class).hasMessageContaining("\"4 floor\"");
        assertThat(printed()).as("nothing was added, let alone as a pass").hasSize(2);
    }

    @Test
    void rowsPrintInFigureOrderWithTheirNotesBelow() {
        report.latency("2 second", 1, 1, 1.0);
        report.latency("1 first", 1, 1, 1.0);
        report.note("a note about %d", 2);

        List<String> table = printed();

        assertThat(table.get(0)).startsWith("figure").contains("ours", "baseline", "ratio", "target", "result");
        assertThat(table.get(2)).startsWith("1 first");
        assertThat(table.get(3)).startsWith("2 second");
        assertThat(table).endsWith("", "a note about 2");
    }
}
