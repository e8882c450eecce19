package dev.hypervisor.store.etcd;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.store.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps etcd's change history to a window, as the Kubernetes apiserver does: every tick notes
 * the current revision, and once a noted revision is a window old the history up to it is
 * compacted. A watcher that last heard of revision R within the window can still resume
 * after R; one that was away longer gets OUT_OF_RANGE and relists. Without this, etcd keeps
 * every old version of every key until its quota alarm stops all writes.
 *
 * <p>etcd compacts its whole keyspace, not a prefix: installations that share one etcd share
 * its history, and the shortest window among them wins. Several daemons compacting the same
 * etcd is harmless (a revision already compacted is skipped).
 */
final class EtcdCompactor {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdCompactor.class);

    private record Noted(Instant at, long revision) {}

    private final Store store;
    private final Duration window;
    private final Deque<Noted> noted = new ArrayDeque<>();
    private boolean failing;

    EtcdCompactor(Store store, Duration window) {
        this.store = store;
        this.window = window;
    }

    /** How often to tick for a window: a tenth of it, between 1 s and the apiserver's 5 min. */
    static Duration interval(Duration window) {
        Duration tenth = window.dividedBy(10);
        Duration min = Duration.ofSeconds(1);
        Duration max = Duration.ofMinutes(5);
        return tenth.compareTo(min) < 0 ? min : tenth.compareTo(max) > 0 ? max : tenth;
    }

    /**
     * Notes the revision at {@code now} and compacts to the newest noted revision that is at
     * least a window old. Returns the revision compacted to, or -1 when nothing was due. A
     * store out of reach is logged once and tried again at the next tick.
     */
    synchronized long tick(Instant now) {
        try {
            noted.addLast(new Noted(now, store.revision()));
            Noted due = null;
            Instant cutoff = now.minus(window);
            while (!noted.isEmpty() && !noted.peekFirst().at().isAfter(cutoff)) {
                due = noted.pollFirst();
            }
            if (failing) {
                LOG.info("compacting etcd's history works again");
                failing = false;
            }
            if (due == null || due.revision() <= store.compactedRevision()) {
                return -1;
            }
            store.compact(due.revision());
            LOG.info("compacted etcd's history up to revision {} (kept {} of history)", due.revision(), window);
            return due.revision();
        } catch (DomainException e) {
            if (!failing) {
                LOG.warn("cannot compact etcd's history now, trying again later: {}", e.getMessage());
                failing = true;
            }
            return -1;
        }
    }
}
