package dev.hypervisor.store.sqlite;

import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchEvent;
import dev.hypervisor.core.store.WatchListener;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch. While it replays history it buffers live revisions; afterwards it delivers each
 * revision above the last one delivered exactly once, which is what makes the hand-over seamless.
 */
final class Subscription implements Watch {

    private static final Logger log = LoggerFactory.getLogger(Subscription.class);

    final String prefix;
    private final WatchListener listener;
    private final Consumer<Subscription> onClose;
    private volatile boolean closed;

    // Only the dispatcher thread touches these after construction.
    private long lastDelivered;
    private List<List<WatchEvent>> buffered;

    Subscription(String prefix, long afterRevision, boolean replaying, WatchListener listener,
            Consumer<Subscription> onClose) {
        this.prefix = prefix;
        this.listener = listener;
        this.onClose = onClose;
        this.lastDelivered = afterRevision;
        this.buffered = replaying ? new ArrayList<>() : null;
    }

    boolean isClosed() {
        return closed;
    }

    /** A committed revision's events under this watch's prefix (shared, unmodifiable); on the dispatcher thread. */
    void offerLive(List<WatchEvent> mine) {
        if (closed) {
            return;
        }
        if (mine.isEmpty()) {
            return;
        }
        if (buffered != null) {
            buffered.add(mine);
        } else {
            deliver(mine);
        }
    }

    /** Revisions read from the events table, already filtered by prefix; on the dispatcher thread. */
    void offerHistory(List<List<WatchEvent>> revisions) {
        revisions.forEach(this::deliver);
    }

    /** History is exhausted: hand over to live delivery; on the dispatcher thread. */
    void finishReplay() {
        List<List<WatchEvent>> live = buffered;
        buffered = null;
        if (live != null) {
            live.forEach(this::deliver);
        }
    }

    private void deliver(List<WatchEvent> events) {
        long revision = events.get(0).revision();
        if (closed || revision <= lastDelivered) {
            return; // seen in history already, or before the watch's start
        }
        lastDelivered = revision;
        try {
            listener.onEvents(events);
        } catch (RuntimeException e) {
            log.warn("watch listener on {} failed at revision {}; ending the watch", prefix, revision, e);
            fail(e);
        }
    }

    /** Ends the watch abnormally; on the dispatcher thread. */
    void fail(RuntimeException error) {
        if (closed) {
            return;
        }
        close();
        try {
            listener.onError(error);
        } catch (RuntimeException e) {
            log.warn("watch listener on {} failed in onError", prefix, e);
        }
    }

    @Override
    public void close() {
        closed = true;
        onClose.accept(this);
    }
}
