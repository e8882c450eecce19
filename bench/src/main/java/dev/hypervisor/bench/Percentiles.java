package dev.hypervisor.bench;

import java.util.Arrays;

/** A growable list of latency samples in nanoseconds, with nearest-rank percentiles; not thread-safe. */
public final class Percentiles {

    private long[] samples;
    private int size;

    public Percentiles() {
        this(1024);
    }

    public Percentiles(int expected) {
        samples = new long[Math.max(16, expected)];
    }

    public void add(long nanos) {
        if (size == samples.length) {
            samples = Arrays.copyOf(samples, samples.length * 2);
        }
        samples[size++] = nanos;
    }

    public void addAll(Percentiles other) {
        for (int i = 0; i < other.size; i++) {
            add(other.samples[i]);
        }
    }

    public int count() {
        return size;
    }

    /** The nearest-rank percentile {@code p} (0 < p <= 100) in nanoseconds; 0 with no samples. */
    public long percentile(double p) {
        if (size == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(samples, size);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * size);
        return sorted[Math.min(size, Math.max(1, rank)) - 1];
    }

    public long p50() {
        return percentile(50);
    }

    public long p99() {
        return percentile(99);
    }
}
