package dev.hypervisor.store.etcd;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.store.WatchEvent;
import dev.hypervisor.core.store.WatchListener;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch of the port on an etcd watch that outlives breaks: it remembers the last revision
 * it delivered (or that a progress notification vouched for) and, when etcd's stream fails
 * (no leader, a cut connection, a member gone) or falls silent, opens a new one from the next
 * revision, so no change is lost or delivered twice. A resume point that was compacted meanwhile
 * ends the watch with OUT_OF_RANGE, the client's cue to relist.
 *
 * <p>Silence is found with progress requests: etcd answers each with its current revision once
 * the watch is in sync; a watch that hears nothing, events or progress, for three intervals is
 * reopened (a partitioned member can leave a stream open and silent, etcd#13822). Requiring a
 * leader makes a member that lost quorum end its streams instead of keeping them idle.
 */
final class EtcdWatch implements dev.hypervisor.core.store.Watch {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdWatch.class);
    private static final long MAX_BACKOFF_MS = 2_000;

    private final EtcdStore store;
    private final String prefix;
    private final WatchListener listener;
    private long delivered; // every change at or below this revision (the port's numbering) was delivered
    private int generation;
    private Watch.Watcher watcher;
    private long lastHeard = System.nanoTime();
    private long backoffMs = 50;
    private boolean broken; // a break was logged and no response has come since
    private boolean done;

    EtcdWatch(EtcdStore store, String prefix, long afterRevision, WatchListener listener) {
        this.store = store;
        this.prefix = prefix;
        this.listener = listener;
        this.delivered = afterRevision;
    }

    String prefix() {
        return prefix;
    }

    /**
     * Opens a stream from the revision after the last delivered one. Never holds this watch's
     * monitor while calling jetcd: jetcd calls back (onNext, onError) holding its own lock on the
     * stream, and a close or a progress request under ours would take the two in the other order.
     */
    void open() {
        int gen;
        WatchOption option;
        synchronized (this) {
            if (done) {
                return;
            }
            gen = ++generation;
            option = WatchOption.builder()
                    .withRange(store.rangeEnd(prefix))
                    .withRevision(EtcdStore.etcdRevision(delivered) + 1)
                    .withPrevKV(true)
                    .withProgressNotify(true)
                    .withRequireLeader(true)
                    .build();
            lastHeard = System.nanoTime();
        }
        Watch.Watcher opened;
        try {
            opened = store.client().getWatchClient().watch(store.rangeStart(prefix), option, Watch.listener(
                    r -> onResponse(gen, r), e -> onFailure(gen, e), () -> onFailure(gen, null)));
        } catch (RuntimeException e) {
            // Thrown here, not through the listener (a client closing under us): handled the same way,
            // or a reopen run from the timer would die silently and leave the watch deaf.
            onFailure(gen, e);
            return;
        }
        boolean current;
        synchronized (this) {
            current = !done && gen == generation;
            if (current) {
                watcher = opened;
            }
        }
        if (!current) {
            closeQuietly(opened); // it broke, or the watch was closed, while it was being opened
        }
    }

    private synchronized void onResponse(int gen, WatchResponse response) {
        if (done || gen != generation) {
            return;
        }
        lastHeard = System.nanoTime();
        backoffMs = 50;
        if (broken) {
            broken = false;
            LOG.info("watch on {} resumed after revision {}", prefix, delivered);
        }
        if (response.isProgressNotify() && response.getEvents().isEmpty()) {
            // Everything up to the header's revision has been sent: resume from there after a break.
            delivered = Math.max(delivered, EtcdStore.ours(response.getHeader().getRevision()));
            return;
        }
        List<WatchEvent> batch = new ArrayList<>();
        long batchRevision = -1;
        for (io.etcd.jetcd.watch.WatchEvent e : response.getEvents()) {
            long revision = EtcdStore.ours(e.getKeyValue().getModRevision());
            if (revision <= delivered) {
                continue; // already delivered before a resume
            }
            if (revision != batchRevision && !batch.isEmpty()) {
                deliver(batch, batchRevision);
                batch = new ArrayList<>();
            }
            batchRevision = revision;
            batch.add(event(e, revision));
        }
        if (!batch.isEmpty()) {
            deliver(batch, batchRevision);
        }
    }

    private void deliver(List<WatchEvent> events, long revision) {
        listener.onEvents(List.copyOf(events));
        delivered = revision;
    }

    private WatchEvent event(io.etcd.jetcd.watch.WatchEvent e, long revision) {
        String key = store.key(e.getKeyValue().getKey());
        if (e.getEventType() == io.etcd.jetcd.watch.WatchEvent.EventType.DELETE) {
            io.etcd.jetcd.KeyValue prev = e.getPrevKV();
            byte[] value = prev == null || prev.getKey().isEmpty() ? new byte[0] : prev.getValue().getBytes();
            return new WatchEvent(WatchEvent.Type.DELETE, key, value, revision);
        }
        return new WatchEvent(WatchEvent.Type.PUT, key, e.getKeyValue().getValue().getBytes(), revision);
    }

    /** The stream failed or ended (error null): compaction ends the watch, anything else is resumed. */
    private void onFailure(int gen, Throwable error) {
        Throwable e = error == null ? null : EtcdFailures.unwrap(error);
        if (e instanceof CompactedException compacted) {
            synchronized (this) {
                if (done || gen != generation) {
                    return;
                }
            }
            fail(EtcdStore.compactedError(delivered(), EtcdStore.ours(compacted.getCompactedRevision())));
            return;
        }
        if (store.closed()) {
            fail(DomainException.unavailable("the store was closed", e));
            return;
        }
        synchronized (this) {
            if (done || gen != generation) {
                return;
            }
            if (!broken) {
                broken = true;
                LOG.info("watch on {} broke after revision {} ({}); resuming from there", prefix, delivered,
                        e == null ? "stream ended" : e.getMessage());
            } else {
                LOG.debug("watch on {} still broken ({}); next try in {} ms", prefix,
                        e == null ? "stream ended" : e.getMessage(), backoffMs);
            }
        }
        resumeLater();
    }

    private synchronized long delivered() {
        return delivered;
    }

    private void resumeLater() {
        Watch.Watcher old;
        long delay;
        synchronized (this) {
            generation++; // the old stream's callbacks are ignored from here on, also those its close() makes at once
            old = watcher;
            watcher = null;
            delay = backoffMs;
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
        closeQuietly(old);
        try {
            store.timer().schedule(this::open, delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            fail(DomainException.unavailable("the store was closed", closing));
        }
    }

    /** Called every interval: asks for progress, and reopens a stream that has been silent for three intervals. */
    void checkProgress(Duration interval) {
        Watch.Watcher current;
        synchronized (this) {
            if (done || watcher == null) {
                return;
            }
            current = watcher;
            if (System.nanoTime() - lastHeard > interval.multipliedBy(3).toNanos()) {
                LOG.warn("watch on {} heard nothing from etcd for {} s; reopening it from revision {}", prefix,
                        interval.multipliedBy(3).toSeconds(), delivered);
                current = null;
            }
        }
        if (current == null) {
            resumeLater();
        } else {
            current.requestProgress();
        }
    }

    void fail(DomainException error) {
        if (end()) {
            listener.onError(error);
        }
    }

    @Override
    public void close() {
        end();
    }

    /** Ends the watch: its stream closed (outside the monitor), the store forgets it; false when it had ended already. */
    private boolean end() {
        Watch.Watcher old;
        synchronized (this) {
            if (done) {
                return false;
            }
            done = true;
            old = watcher;
            watcher = null;
        }
        closeQuietly(old);
        store.forget(this);
        return true;
    }

    private static void closeQuietly(Watch.Watcher w) {
        if (w != null) {
            try {
                w.close();
            } catch (RuntimeException e) {
                LOG.debug("closing an etcd watcher: {}", e.toString());
            }
        }
    }
}
