package dev.hypervisor.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Nearest-rank percentiles: the smallest sample with at least p% of all at or below it. */
class PercentilesTest {

    @Test
    void ofOneToAHundredInAnyOrderP50Is50AndP99Is99() {
        List<Long> values = new ArrayList<>();
        for (long v = 1; v <= 100; v++) {
            values.add(v);
        }
        Collections.shuffle(values, new Random(3));
        Percentiles p = new Percentiles(4); // grows past its first capacity
        values.forEach(p::add);

        assertThat(p.count()).isEqualTo(100);
        assertThat(p.p50()).isEqualTo(50);
        assertThat(p.p99()).isEqualTo(99);
        assertThat(p.min()).isEqualTo(1);
        assertThat(p.max()).isEqualTo(100);
    }

    @Test
    void withFewerThanAHundredSamplesP99IsTheMaximumAndP50TheLowerMedian() {
        Percentiles p = Percentiles.of(40, 10, 30, 20);

        assertThat(p.p99()).isEqualTo(40);
        assertThat(p.p50()).isEqualTo(20);
        assertThat(p.percentile(75)).isEqualTo(30);
        assertThat(p.percentile(76)).isEqualTo(40);
    }

    @Test
    void oneSampleIsEveryPercentile() {
        Percentiles p = Percentiles.of(7);

        assertThat(List.of(p.min(), p.p50(), p.p99(), p.max(), p.percentile(0.001))).containsOnly(7L);
    }

    @Test
    void withoutSamplesThereIsNoPercentile() {
        Percentiles empty = new Percentiles();

        assertThat(empty.count()).isZero();
        assertThatThrownBy(empty::p50).isInstanceOf(IllegalStateException.class).hasMessage("no samples");
        assertThatThrownBy(empty::p99).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void addAllKeepsBothListsSamples() {
        Percentiles a = Percentiles.of(1, 2, 3);
        a.addAll(Percentiles.of(100, 200));

        assertThat(a.count()).isEqualTo(5);
        assertThat(a.max()).isEqualTo(200);
        assertThat(a.p50()).isEqualTo(3);
    }

    @Test
    void spreadPrintsMinimumP50AndMaximumInMilliseconds() {
        assertThat(Percentiles.of(12_000_000, 15_400_000, 31_600_000).spread()).isEqualTo("12 / 15 / 32 ms");
    }
}
