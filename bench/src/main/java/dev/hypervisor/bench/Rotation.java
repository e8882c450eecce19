package dev.hypervisor.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Sides measured in turns: in turn i every side takes one sample, side (i + k) mod n going k-th, so that the first
 * side rotates and drift (JIT, caches, other processes) hits every side alike. The first turns warm up.
 */
public final class Rotation {

    /** One side's sample in turn {@code turn} ({@code measured} false while warming up); a negative one is not kept. */
    @FunctionalInterface
    public interface Side {
        long sample(int turn, boolean measured) throws Exception;
    }

    /** Told after each measured turn: its number, from 1, and what each side returned. */
    @FunctionalInterface
    public interface Turn {
        void done(int measured, long[] values) throws Exception;
    }

    private final List<Side> sides = new ArrayList<>();
    private final List<Percentiles> samples = new ArrayList<>();

    /** Adds a side; returns its samples, which {@link #run} fills. */
    public Percentiles side(Side side) {
        sides.add(side);
        samples.add(new Percentiles());
        return samples.get(samples.size() - 1);
    }

    /** {@code warmUps} unmeasured turns, then {@code turns} measured ones, each followed by {@code each}. */
    public void run(int warmUps, int turns, Turn each) throws Exception {
        for (int i = 0; i < warmUps + turns; i++) {
            long[] values = new long[sides.size()];
            for (int k = 0; k < sides.size(); k++) {
                int s = (i + k) % sides.size();
                values[s] = sides.get(s).sample(i, i >= warmUps);
            }
            if (i >= warmUps) {
                for (int s = 0; s < values.length; s++) {
                    if (values[s] >= 0) {
                        samples.get(s).add(values[s]);
                    }
                }
                each.done(i - warmUps + 1, values);
            }
        }
    }
}
