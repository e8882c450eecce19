package dev.hypervisor.core.runtime;

/**
 * Where a runtime's driver says how long each phase of a step took (the container's root
 * filesystem, its network, conmon and the OCI runtime's create), so that an operator and the
 * benchmarks can see where a create spends its time, under concurrency too.
 */
@FunctionalInterface
public interface PhaseTimings {

    /** Records nothing. */
    PhaseTimings NONE = (runtime, phase, nanos) -> { };

    /** {@code phase} of a step of {@code runtime} (its type's name, e.g. "container") took {@code nanos}. */
    void record(String runtime, String phase, long nanos);

    /** Times the phases of one step: each {@link Stopwatch#lap} records the time since the last. */
    default Stopwatch stopwatch(String runtime) {
        return new Stopwatch(this, runtime);
    }

    /** Laps of one step on one thread. */
    final class Stopwatch {
        private final PhaseTimings timings;
        private final String runtime;
        private long last = System.nanoTime();

        private Stopwatch(PhaseTimings timings, String runtime) {
            this.timings = timings;
            this.runtime = runtime;
        }

        /** Records the time since the previous lap (or the start) as {@code phase}. */
        public void lap(String phase) {
            long now = System.nanoTime();
            timings.record(runtime, phase, now - last);
            last = now;
        }
    }
}
