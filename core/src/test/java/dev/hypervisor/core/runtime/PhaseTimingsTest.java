package dev.hypervisor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PhaseTimingsTest {

    @Test
    void eachLapRecordsTheTimeSinceThePreviousOneUnderItsPhase() throws Exception {
        List<String> phases = new ArrayList<>();
        List<Long> nanos = new ArrayList<>();
        PhaseTimings timings = (runtime, phase, took) -> {
            phases.add(runtime + "/" + phase);
            nanos.add(took);
        };
        PhaseTimings.Stopwatch watch = timings.stopwatch("container");
        Thread.sleep(30);
        watch.lap("rootfs");
        watch.lap("network");
        assertThat(phases).containsExactly("container/rootfs", "container/network");
        assertThat(nanos.get(0)).as("rootfs, after 30 ms of sleep").isGreaterThanOrEqualTo(30_000_000L);
        assertThat(nanos.get(1)).as("network, right after").isLessThan(nanos.get(0));
    }
}
