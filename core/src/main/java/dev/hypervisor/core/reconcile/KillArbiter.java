package dev.hypervisor.core.reconcile;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * Forced stops against steps in flight. A forced stop recorded while a step of an earlier
 * intent runs gets one kill, sent at once over that step; the next step waits for every kill
 * sent over the last one, so a kill never outlives the step it was sent over (its runc delete
 * would land in the next step's create). No kill while a step of the forced revision itself
 * runs: that step kills.
 */
final class KillArbiter {

    /** A step in flight: its revision, the newest forced revision a kill was sent for, and those kills. */
    private static final class InFlight {
        final long revision;
        long killedFor;
        CompletableFuture<Void> kills = CompletableFuture.completedFuture(null);

        InFlight(long revision) {
            this.revision = revision;
        }
    }

    private final Map<String, InFlight> steps = new HashMap<>();

    /**
     * Marks a step of {@code revision} in flight, unless the instance changed since it was read
     * ({@code changed}: then false, and the caller reads it again), so that a forced stop
     * recorded in between is never missed.
     */
    synchronized boolean begin(String id, long revision, BooleanSupplier changed) {
        if (changed.getAsBoolean()) {
            return false;
        }
        steps.put(id, new InFlight(revision));
        return true;
    }

    /** The step ended; returns the kills sent over it, for the caller to await before its next step. */
    synchronized CompletableFuture<Void> end(String id) {
        InFlight step = steps.remove(id);
        return step == null ? CompletableFuture.completedFuture(null) : step.kills;
    }

    /**
     * For a forced stop at {@code forcedRevision}: the kill to send over the step in flight, to be
     * completed once it is done; null when no kill is due (no step runs, it is of the forced
     * revision or a newer one, or one was sent for this revision already).
     */
    synchronized CompletableFuture<Void> killFor(String id, long forcedRevision) {
        InFlight step = steps.get(id);
        if (step == null || step.revision >= forcedRevision || step.killedFor >= forcedRevision) {
            return null;
        }
        step.killedFor = forcedRevision;
        CompletableFuture<Void> kill = new CompletableFuture<>();
        step.kills = step.kills.isDone() ? kill : CompletableFuture.allOf(step.kills, kill);
        return kill;
    }
}
