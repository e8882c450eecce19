package dev.hypervisor.core.reconcile;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Keyed, coalescing work, as client-go's workqueue: a key queued while no pass over it runs
 * gets one on the executor; queued while its pass runs, it gets exactly one more pass after
 * it, however often it was queued meanwhile. Passes over one key never overlap; passes over
 * different keys run in parallel, as far as the executor allows.
 */
final class WorkQueue {

    /** Per key: whether a pass runs, and whether it must run again. */
    private static final class Slot {
        boolean running;
        boolean dirty;
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WorkQueue.class);

    private final Executor executor;
    private final Consumer<String> pass;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();

    WorkQueue(Executor executor, Consumer<String> pass) {
        this.executor = executor;
        this.pass = pass;
    }

    /** Queues a pass over the key. */
    void enqueue(String key) {
        while (true) {
            Slot slot = slots.computeIfAbsent(key, k -> new Slot());
            synchronized (slot) {
                if (slots.get(key) != slot) {
                    // A pass finished and dropped this slot between the lookup and the lock; running
                    // on it would let a second pass start on a fresh slot at once.
                    continue;
                }
                if (slot.running) {
                    slot.dirty = true;
                    return;
                }
                slot.running = true;
            }
            executor.execute(() -> work(key, slot));
            return;
        }
    }

    /** Whether a pass over the key runs now. */
    boolean running(String key) {
        return test(key, slot -> slot.running);
    }

    /** Whether the key was queued again since the pass that runs now began: what it read may be stale. */
    boolean queuedAgain(String key) {
        return test(key, slot -> slot.dirty);
    }

    private boolean test(String key, java.util.function.Predicate<Slot> test) {
        Slot slot = slots.get(key);
        if (slot == null) {
            return false;
        }
        synchronized (slot) {
            return test.test(slot);
        }
    }

    private void work(String key, Slot slot) {
        while (true) {
            synchronized (slot) {
                slot.dirty = false;
            }
            try {
                pass.accept(key);
            } catch (RuntimeException e) {
                LOG.error("a pass over {} failed", key, e); // never leaves the key stuck as running
            }
            synchronized (slot) {
                if (!slot.dirty) {
                    slot.running = false;
                    slots.remove(key, slot);
                    return;
                }
            }
        }
    }
}
