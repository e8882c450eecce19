package dev.hypervisor.host;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a driver halts on purpose, so that those exits are no news, and the kills that must
 * win over a start in flight. Halts are counted, not flagged: a kill over a stop holds the
 * instance as long as either runs, where a set would let the first to finish clear it for both.
 * A start takes {@link #kills} when it begins and gives way (halts, fails) if that moved.
 */
public final class HaltGuard {

    private final Map<String, Integer> halting = new ConcurrentHashMap<>();
    private final Map<String, Long> kills = new ConcurrentHashMap<>();

    /** Marks the instance as halted on purpose until the hold is closed (try-with-resources). */
    public Hold hold(String id) {
        halting.merge(id, 1, Integer::sum);
        return new Hold(id);
    }

    public boolean halting(String id) {
        return halting.containsKey(id);
    }

    /** A kill of the instance is under way: a start that began before it must give way. */
    public void killed(String id) {
        kills.merge(id, 1L, Long::sum);
    }

    /** How many kills the instance has had; compare before and after a start. */
    public long kills(String id) {
        return kills.getOrDefault(id, 0L);
    }

    /** Forgets the instance (it was destroyed). */
    public void forget(String id) {
        kills.remove(id);
    }

    /** One deliberate halt in progress. */
    public final class Hold implements AutoCloseable {
        private final String id;
        private boolean closed;

        private Hold(String id) {
            this.id = id;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                halting.computeIfPresent(id, (key, count) -> count == 1 ? null : count - 1);
            }
        }
    }
}
