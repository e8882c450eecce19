package dev.hypervisor.server;

import dev.hypervisor.core.runtime.PhaseTimings;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The runtimes' phase timings as one Prometheus histogram, by runtime and phase. */
final class PhaseMetrics implements PhaseTimings {

    private final Histogram phases;

    PhaseMetrics(PrometheusRegistry registry) {
        phases = Histogram.builder().name("hypervisord_runtime_phase_duration_seconds")
                .help("How long each phase of a runtime's steps took (root filesystem, network, conmon, ...)")
                .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60)
                .labelNames("runtime", "phase").register(registry);
    }

    @Override
    public void record(String runtime, String phase, long nanos) {
        phases.labelValues(runtime, phase).observe(nanos / 1e9);
    }
}
