package dev.hypervisor.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PhaseScrapeTest {

    @Test
    void meansArePerPhaseOverWhatRanBetweenTwoReads() {
        PhaseScrape before = new PhaseScrape(Map.of("rootfs", new double[] {0.010, 2}));
        PhaseScrape after = new PhaseScrape(Map.of("rootfs", new double[] {0.040, 5}, "network", new double[] {0.003, 3},
                "image", new double[] {0, 0}));
        Map<String, Double> means = after.meansSince(before);
        assertThat(means.get("rootfs")).isCloseTo(10.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(means.get("network")).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(means).doesNotContainKey("image");
    }

    @Test
    void parsesTheDaemonsHistogramOfOneRuntime() {
        String exposition = String.join("\n",
                "# TYPE hypervisord_runtime_phase_duration_seconds histogram",
                "hypervisord_runtime_phase_duration_seconds_bucket{phase=\"rootfs\",runtime=\"container\",le=\"0.01\"} 4",
                "hypervisord_runtime_phase_duration_seconds_count{phase=\"rootfs\",runtime=\"container\"} 4",
                "hypervisord_runtime_phase_duration_seconds_sum{phase=\"rootfs\",runtime=\"container\"} 0.02",
                "hypervisord_runtime_phase_duration_seconds_count{phase=\"boot\",runtime=\"vm\"} 1",
                "hypervisord_runtime_phase_duration_seconds_sum{phase=\"boot\",runtime=\"vm\"} 3.5",
                "hypervisord_grpc_requests_total{code=\"OK\",method=\"GetInstance\"} 7");
        PhaseScrape scrape = PhaseScrape.parse(exposition, "container");
        assertThat(scrape.phases()).containsOnlyKeys("rootfs");
        assertThat(scrape.phases().get("rootfs")).containsExactly(0.02, 4.0);
    }
}
