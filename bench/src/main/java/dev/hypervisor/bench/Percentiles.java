package dev.hypervisor.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.LongFunction;

/** A growable list of samples (nanoseconds, or bytes), with nearest-rank percentiles; not thread-safe. */
public final class Percentiles {

    private long[] samples;
    private int size;

    public Percentiles() {
        this(1024);
    }

    public Percentiles(int expected) {
        samples = new long[Math.max(16, expected)];
    }

    /** The samples of {@code values}, e.g. one per round. */
    public static Percentiles of(long... values) {
        Percentiles p = new Percentiles(values.length);
        for (long v : values) {
            p.add(v);
        }
        return p;
    }

    public void add(long value) {
        if (size == samples.length) {
            samples = Arrays.copyOf(samples, samples.length * 2);
        }
        samples[size++] = value;
    }

    public void addAll(Percentiles other) {
        for (int i = 0; i < other.size; i++) {
            add(other.samples[i]);
        }
    }

    /** The samples in the order they were added. */
    public long[] values() {
        return Arrays.copyOf(samples, size);
    }

    /** The samples in the order they were added, each as {@code format} shows it: "1.20 s, 1.31 s". */
    public String join(LongFunction<String> format) {
        return String.join(", ", Arrays.stream(values()).mapToObj(format).toList());
    }

    public int count() {
        return size;
    }

    /**
     * The nearest-rank percentile {@code p} (0 < p <= 100): the smallest sample with at least p% of the samples at or
     * below it, so p99 of fewer than 100 samples is their maximum. Fails without samples: that is no number.
     */
    public long percentile(double p) {
        if (size == 0) {
            throw new IllegalStateException("no samples");
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

    public long min() {
        return percentile(Double.MIN_VALUE);
    }

    public long max() {
        return percentile(100);
    }

    /** "12 / 15 / 31 ms": minimum, p50 and maximum of nanosecond samples, for the notes. */
    public String spread() {
        return String.format(Locale.ROOT, "%.0f / %.0f / %.0f ms", min() / 1e6, p50() / 1e6, max() / 1e6);
    }
}
