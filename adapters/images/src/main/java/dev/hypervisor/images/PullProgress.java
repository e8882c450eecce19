package dev.hypervisor.images;

import dev.hypervisor.core.image.PullListener;
import dev.hypervisor.core.image.PullListener.BlobProgress;
import dev.hypervisor.core.image.PullListener.Phase;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The progress of one pull, shared by everyone waiting for it: one aggregate figure (bytes
 * done and total over all blobs) plus each blob's. Phase changes are sent at once; byte
 * counts are sent by {@link #tick()}, which the coordinator calls a few times a second.
 */
final class PullProgress {

    private final Map<String, long[]> blobs = new LinkedHashMap<>();
    private final List<PullListener> listeners = new CopyOnWriteArrayList<>();
    private Phase phase = Phase.RESOLVING;
    private String message = "";
    private boolean dirty;

    synchronized void attach(PullListener listener) {
        listeners.add(listener);
        send(listener, snapshot());
    }

    void detach(PullListener listener) {
        listeners.remove(listener);
    }

    void phase(Phase next, String text) {
        Snapshot snapshot;
        synchronized (this) {
            phase = next;
            message = text;
            dirty = false;
            snapshot = snapshot();
        }
        publish(snapshot);
    }

    /** Announces a blob and its size before it downloads; one already stored counts as done. */
    synchronized void blob(String digest, long size, boolean alreadyStored) {
        blobs.put(digest, new long[] {alreadyStored ? size : 0, size});
        dirty = true;
    }

    synchronized void advance(String digest, long delta) {
        long[] counts = blobs.get(digest);
        if (counts != null) {
            counts[0] = Math.max(0, counts[0] + delta);
            dirty = true;
        }
    }

    /** Restarts a blob's count (a download that began again from byte zero). */
    synchronized void reset(String digest, long done) {
        long[] counts = blobs.get(digest);
        if (counts != null) {
            counts[0] = done;
            dirty = true;
        }
    }

    void tick() {
        Snapshot snapshot;
        synchronized (this) {
            if (!dirty) {
                return;
            }
            dirty = false;
            snapshot = snapshot();
        }
        publish(snapshot);
    }


    private Snapshot snapshot() {
        long done = 0;
        long total = 0;
        List<BlobProgress> each = new ArrayList<>(blobs.size());
        for (Map.Entry<String, long[]> blob : blobs.entrySet()) {
            done += blob.getValue()[0];
            total += blob.getValue()[1];
            each.add(new BlobProgress(blob.getKey(), blob.getValue()[0], blob.getValue()[1]));
        }
        return new Snapshot(phase, done, total, each, message);
    }

    private void publish(Snapshot snapshot) {
        for (PullListener listener : listeners) {
            send(listener, snapshot);
        }
    }

    private void send(PullListener listener, Snapshot s) {
        try {
            listener.onProgress(s.phase, s.done, s.total, s.blobs, s.message);
        } catch (RuntimeException gone) {
            // A caller that went away stops listening; the pull goes on for the others.
            listeners.remove(listener);
        }
    }

    private record Snapshot(Phase phase, long done, long total, List<BlobProgress> blobs, String message) {}
}
