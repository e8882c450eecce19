package dev.hypervisor.core.store;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A thread-safe, non-durable {@link Store} in memory: the test double for core unit tests. */
public class InMemoryStore implements Store {

    /**
     * Keys sort by Unicode code point, which is the UTF-8 byte order SQLite and etcd use;
     * {@code String.compareTo} differs for characters above U+FFFF.
     */

    private final NavigableMap<String, KeyValue> data = new TreeMap<>(Keys.CODE_POINTS);
    private final NavigableMap<Long, List<WatchEvent>> history = new TreeMap<>();
    private final List<Subscription> subscriptions = new ArrayList<>();
    // One thread delivers every watch in revision order, never while the store's lock is held.
    private final ExecutorService dispatcher = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "in-memory-store-watch");
        t.setDaemon(true);
        return t;
    });
    private long revision;
    private long compacted;
    private boolean closed;

    @Override
    public synchronized long revision() {
        return revision;
    }

    private String failingPrefix = "";
    private int failingGets;

    /** The next {@code times} gets of keys under {@code prefix} fail UNAVAILABLE, as a store out of reach does. */
    public synchronized void failGets(String prefix, int times) {
        failingPrefix = prefix;
        failingGets = times;
    }

    @Override
    public synchronized Optional<KeyValue> get(String key) {
        Keys.require(key);
        if (failingGets > 0 && key.startsWith(failingPrefix)) {
            failingGets--;
            throw DomainException.unavailable("get " + key + ": the store is out of reach (test)", null);
        }
        return Optional.ofNullable(data.get(key));
    }

    @Override
    public synchronized List<KeyValue> getAll(Collection<String> keys) {
        TreeSet<String> wanted = new TreeSet<>(Keys.CODE_POINTS);
        keys.forEach(k -> wanted.add(Keys.require(k)));
        return wanted.stream().map(data::get).filter(kv -> kv != null).toList();
    }

    @Override
    public synchronized RangeResult range(String prefix, String startAfter, int limit) {
        if (prefix == null || startAfter == null) {
            throw DomainException.invalidArgument("prefix", "must not be null");
        }
        if (limit <= 0) {
            throw DomainException.invalidArgument("limit", "must be positive, got " + limit);
        }
        NavigableMap<String, KeyValue> from = Keys.CODE_POINTS.compare(startAfter, prefix) < 0
                ? data.tailMap(prefix, true)
                : data.tailMap(startAfter, false);
        List<KeyValue> page = new ArrayList<>();
        for (KeyValue kv : from.values()) {
            if (!kv.key().startsWith(prefix)) {
                break;
            }
            if (page.size() == limit) {
                return new RangeResult(page, true, revision);
            }
            page.add(kv);
        }
        return new RangeResult(page, false, revision);
    }

    @Override
    public synchronized CompletableFuture<TxnResult> commit(Txn txn) {
        Keys.requireValid(txn);
        if (closed) {
            return CompletableFuture.failedFuture(storeClosed());
        }
        for (Txn.Compare c : txn.compares()) {
            KeyValue kv = data.get(c.key());
            if ((kv == null ? 0 : kv.modRevision()) != c.modRevision()) {
                return CompletableFuture.completedFuture(TxnResult.failure(revision, c.key()));
            }
        }
        long rev = revision + 1;
        List<WatchEvent> events = new ArrayList<>();
        for (Txn.Op op : txn.ops()) {
            if (op instanceof Txn.Put put) {
                KeyValue old = data.get(put.key());
                byte[] value = put.value().clone();
                data.put(put.key(), new KeyValue(put.key(), value, old == null ? rev : old.createRevision(), rev));
                events.add(new WatchEvent(WatchEvent.Type.PUT, put.key(), value, rev));
            } else {
                KeyValue old = data.remove(op.key());
                if (old != null) {
                    events.add(new WatchEvent(WatchEvent.Type.DELETE, op.key(), old.value(), rev));
                }
            }
        }
        // As in etcd, a transaction that changes nothing does not consume a revision.
        if (events.isEmpty()) {
            return CompletableFuture.completedFuture(TxnResult.success(revision));
        }
        revision = rev;
        history.put(rev, List.copyOf(events));
        for (Subscription s : subscriptions) {
            s.offer(events);
        }
        return CompletableFuture.completedFuture(TxnResult.success(rev));
    }

    @Override
    public synchronized Watch watch(String prefix, long afterRevision, WatchListener listener) {
        if (prefix == null || listener == null || afterRevision < 0) {
            throw DomainException.invalidArgument("watch", "needs a prefix, a listener and afterRevision >= 0");
        }
        if (closed) {
            throw storeClosed();
        }
        if (afterRevision > 0 && afterRevision < compacted) {
            throw compactedError(afterRevision, compacted);
        }
        Subscription s = new Subscription(prefix, afterRevision == 0 ? revision : afterRevision, listener);
        // Replay is queued under the lock, so every later commit is queued after it: no gap, no duplicate.
        history.tailMap(s.after, false).values().forEach(s::offer);
        subscriptions.add(s);
        return () -> {
            synchronized (this) {
                subscriptions.remove(s);
            }
            s.closed = true;
        };
    }

    @Override
    public synchronized long compactedRevision() {
        return compacted;
    }

    @Override
    public synchronized void compact(long rev) {
        if (rev > revision) {
            throw new DomainException(ErrorCode.OUT_OF_RANGE,
                    "cannot compact to revision " + rev + ": the current revision is " + revision);
        }
        if (rev > compacted) {
            history.headMap(rev, true).clear();
            compacted = rev;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Subscription s : subscriptions) {
            dispatcher.execute(() -> s.fail(storeClosed()));
        }
        subscriptions.clear();
        dispatcher.shutdown();
    }

    static DomainException compactedError(long requested, long compacted) {
        return new DomainException(ErrorCode.OUT_OF_RANGE, "revision " + requested
                + " has been compacted; the oldest available is " + compacted);
    }

    private static DomainException storeClosed() {
        return new DomainException(ErrorCode.UNAVAILABLE, "the store is closed");
    }




    /** One watch: queues its share of each revision on the dispatcher, filtered by prefix. */
    private final class Subscription {
        final String prefix;
        final long after;
        final WatchListener listener;
        volatile boolean closed;

        Subscription(String prefix, long after, WatchListener listener) {
            this.prefix = prefix;
            this.after = after;
            this.listener = listener;
        }

        void offer(List<WatchEvent> revisionEvents) {
            List<WatchEvent> mine = revisionEvents.stream().filter(e -> e.key().startsWith(prefix)).toList();
            if (!mine.isEmpty() && mine.get(0).revision() > after) {
                dispatcher.execute(() -> deliver(mine));
            }
        }

        private void deliver(List<WatchEvent> events) {
            if (closed) {
                return;
            }
            try {
                listener.onEvents(events);
            } catch (RuntimeException e) {
                synchronized (InMemoryStore.this) {
                    subscriptions.remove(this);
                }
                fail(e);
            }
        }

        void fail(RuntimeException e) {
            if (!closed) {
                closed = true;
                listener.onError(e);
            }
        }
    }
}
