package dev.hypervisor.store.sqlite;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchEvent;
import dev.hypervisor.core.store.WatchListener;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Delivers committed changes to watches on one dispatcher thread, in revision order; a watch that
 * resumes from a past revision first replays the history table, read on a separate thread.
 *
 * <p>Why there is no gap: a watch is registered before its history is read, and the writer
 * publishes a revision only after its COMMIT. So every revision either reaches the watch live
 * (buffered during replay) or was committed before registration and is in the history it reads.
 * Why there is no duplicate: the watch skips every revision at or below the last one delivered.
 */
final class WatchHub {

    /** Revisions per history read: bounds memory and how long one read snapshot is held. */
    private static final int REPLAY_PAGE_REVISIONS = 1000;

    private final ReadPool reads;
    private final Revisions revisions;
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final ExecutorService dispatcher = Executors.newSingleThreadExecutor(r -> {
        Thread t = GroupCommitWriter.daemon("sqlite-store-watch").newThread(r);
        dispatcherThread = t;
        return t;
    });
    private volatile Thread dispatcherThread;
    private final ExecutorService replayer =
            Executors.newSingleThreadExecutor(GroupCommitWriter.daemon("sqlite-store-watch-replay"));
    private volatile boolean closed;

    WatchHub(ReadPool reads, Revisions revisions) {
        this.reads = reads;
        this.revisions = revisions;
    }

    synchronized Watch watch(String prefix, long afterRevision, WatchListener listener) {
        if (closed) {
            throw new DomainException(ErrorCode.UNAVAILABLE, "the store is closed");
        }
        long compacted = revisions.compacted();
        if (afterRevision > 0 && afterRevision < compacted) {
            throw compactedError(afterRevision, compacted);
        }
        boolean replay = afterRevision > 0;
        // Live-only watches start at the last acknowledged revision: anything at or below it is history.
        Subscription s = new Subscription(prefix, replay ? afterRevision : revisions.current(), replay, listener,
                subscriptions::remove);
        subscriptions.add(s);
        if (replay) {
            replayer.execute(() -> replay(s, afterRevision));
        }
        return s;
    }

    /** Called by the writer after COMMIT with the batch's revisions in order. */
    void publish(List<List<WatchEvent>> committed) {
        if (subscriptions.isEmpty()) {
            return; // a watch registered later reads these from history, or starts above them
        }
        try {
            dispatcher.execute(() -> {
                for (List<WatchEvent> revision : committed) {
                    // Filtered once per prefix, not once per watch: a thousand watches of
                    // /instances/ share one list.
                    Map<String, List<WatchEvent>> byPrefix = new HashMap<>();
                    for (Subscription s : subscriptions) {
                        s.offerLive(byPrefix.computeIfAbsent(s.prefix, p -> underPrefix(revision, p)));
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // Closing: the watches are being ended anyway.
        }
    }

    private static List<WatchEvent> underPrefix(List<WatchEvent> revision, String prefix) {
        List<WatchEvent> matching = new ArrayList<>();
        for (WatchEvent e : revision) {
            if (e.key().startsWith(prefix)) {
                matching.add(e);
            }
        }
        return Collections.unmodifiableList(matching);
    }

    private void replay(Subscription s, long afterRevision) {
        try {
            long from = afterRevision;
            while (!s.isClosed()) {
                long start = from;
                HistoryPage page = reads.read("watch replay",
                        session -> session.inReadTransaction(x -> readPage(x, s.prefix, start)));
                dispatcher.execute(() -> s.offerHistory(page.revisions()));
                from = page.upTo();
                if (from >= page.head()) {
                    break;
                }
            }
            dispatcher.execute(s::finishReplay);
        } catch (DomainException e) {
            // Rare: compaction or an I/O error after watch() returned; the listener hears it in order.
            try {
                dispatcher.execute(() -> s.fail(e));
            } catch (RejectedExecutionException closing) {
                // close() ends the watch.
            }
        } catch (RejectedExecutionException e) {
            // Closing: close() ends the watch.
        }
    }

    /** One snapshot's worth of history above {@code from}; fails if compaction got there first. */
    private static HistoryPage readPage(Session session, String prefix, long from) throws SQLException {
        long head = session.metaValue("revision");
        long compacted = session.metaValue("compacted");
        if (compacted > from) {
            throw compactedError(from, compacted);
        }
        long upTo = Math.min(head, from + REPLAY_PAGE_REVISIONS);
        PreparedStatement ps = session.prepare("SELECT rev, changes FROM history WHERE rev > ? AND rev <= ? ORDER BY rev");
        ps.setLong(1, from);
        ps.setLong(2, upTo);
        List<List<WatchEvent>> revisions = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                // One row per revision holds every key it changed; those under other prefixes are skipped here.
                List<WatchEvent> matching = RevisionRecord.decode(rs.getLong(1), rs.getBytes(2), prefix);
                if (!matching.isEmpty()) {
                    revisions.add(matching);
                }
            }
        }
        return new HistoryPage(revisions, upTo, head);
    }

    static DomainException compactedError(long requested, long compacted) {
        return new DomainException(ErrorCode.OUT_OF_RANGE, "revision " + requested
                + " has been compacted; the oldest available is " + compacted);
    }

    /** Ends every watch with UNAVAILABLE after the changes already queued, then stops both threads. */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        replayer.shutdownNow();
        for (Subscription s : subscriptions) {
            dispatcher.execute(() -> s.fail(new DomainException(ErrorCode.UNAVAILABLE, "the store is closed")));
        }
        dispatcher.shutdown();
        awaitQuietly(replayer);
        // A listener may close the store from its own callback; waiting for ourselves would hang.
        if (Thread.currentThread() != dispatcherThread) {
            awaitQuietly(dispatcher);
        }
    }

    private static void awaitQuietly(ExecutorService executor) {
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Revisions (each a list of events) in (from, upTo], read in a snapshot whose revision was head. */
    private record HistoryPage(List<List<WatchEvent>> revisions, long upTo, long head) {}
}
