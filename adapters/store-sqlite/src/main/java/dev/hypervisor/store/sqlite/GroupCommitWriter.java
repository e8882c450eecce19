package dev.hypervisor.store.sqlite;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import dev.hypervisor.core.store.WatchEvent;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only thread that writes: it drains every queued transaction into one SQLite transaction,
 * so a burst of commits costs one fsync instead of one each. Each transaction gets a savepoint
 * of its own only when SQLite rejected a statement of the batch (see {@link #commitBatch(List)}).
 */
final class GroupCommitWriter {

    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

    private static final String COMPARE = "SELECT mod_rev FROM kv WHERE key = ?";
    private static final String UPSERT = "INSERT INTO kv (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?)"
            + " ON CONFLICT (key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev";
    /** One statement for a delete and the value it removes, which the DELETE event carries (etcd's prev_kv). */
    private static final String DELETE = "DELETE FROM kv WHERE key = ? RETURNING value";
    private static final String APPEND_REVISION = "INSERT INTO history (rev, changes) VALUES (?, ?)";
    private static final String SET_META = "UPDATE meta SET value = ? WHERE name = ?";
    private static final String DROP_HISTORY = "DELETE FROM history WHERE rev <= ?";
    /** At most this long between WAL checkpoints while commits keep coming, and after the last one. */
    private static final long CHECKPOINT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** Something for the writer thread to do, in queue order. */
    private sealed interface Request permits CommitRequest, Task, Stop {}

    /** A caller's transaction, acknowledged through its future after the batch's COMMIT. */
    private record CommitRequest(Txn txn, CompletableFuture<TxnResult> future) implements Request {}

    /** Maintenance (compaction, test hooks) that must run on the write connection. */
    private record Task(Session.Work<?> work, CompletableFuture<Object> future) implements Request {}

    /** The last request close() queues. */
    private enum Stop implements Request { INSTANCE }

    /** What one transaction of a batch came to, known before the batch's COMMIT. */
    private record Outcome(TxnResult result, List<WatchEvent> events, RuntimeException error) {}

    private final Session session;
    private final Revisions revisions;
    private final Consumer<List<List<WatchEvent>>> publisher;
    private final int maxBatchSize;
    private final long historyRevisions;
    private final long compactionStep;
    private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    // Callers' continuations run here, never on the writer thread, so they cannot stall or deadlock it.
    private final ExecutorService acks = Executors.newSingleThreadExecutor(daemon("sqlite-store-ack"));
    private final Thread thread;
    private final AtomicLong batches = new AtomicLong();
    private long lastCheckpoint = System.nanoTime(); // writer thread only
    private boolean dirtySinceCheckpoint; // writer thread only
    private boolean accepting = true; // guarded by this

    GroupCommitWriter(Session session, Revisions revisions, SqliteStoreOptions options,
            Consumer<List<List<WatchEvent>>> publisher) {
        this.session = session;
        this.revisions = revisions;
        this.publisher = publisher;
        this.maxBatchSize = options.maxBatchSize();
        this.historyRevisions = options.historyRevisions();
        // Compact in steps of a tenth of the history (at most 10k revisions) so no single DELETE stalls commits.
        this.compactionStep = Math.max(1, Math.min(10_000, historyRevisions / 10));
        this.thread = daemon("sqlite-store-writer").newThread(this::run);
        thread.start();
    }

    CompletableFuture<TxnResult> submit(Txn txn) {
        CompletableFuture<TxnResult> future = new CompletableFuture<>();
        enqueue(new CommitRequest(txn, future), future);
        return future;
    }

    /** Runs work on the writer thread, in queue order with the commits around it. */
    @SuppressWarnings("unchecked")
    <T> CompletableFuture<T> run(Session.Work<T> work) {
        CompletableFuture<Object> future = new CompletableFuture<>();
        enqueue(new Task(work, future), future);
        return (CompletableFuture<T>) future;
    }

    /** Drops change history at or below {@code revision}; runs on the writer thread. */
    CompletableFuture<Void> compact(long revision) {
        return run(s -> {
            long current = revisions.current();
            if (revision > current) {
                throw new DomainException(ErrorCode.OUT_OF_RANGE,
                        "cannot compact to revision " + revision + ": the current revision is " + current);
            }
            compactTo(revision);
            return null;
        });
    }

    /** How many write transactions (and so fsyncs) commits have taken so far. */
    long batches() {
        return batches.get();
    }

    /** Commits everything already queued, then stops the thread and closes the connection. */
    void close() {
        synchronized (this) {
            if (!accepting) {
                return;
            }
            accepting = false;
            queue.add(Stop.INSTANCE);
        }
        joinUninterruptibly(thread);
        acks.shutdown();
        try {
            acks.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        session.close();
    }

    private synchronized void enqueue(Request request, CompletableFuture<?> future) {
        if (accepting) {
            queue.add(request);
        } else {
            future.completeExceptionally(new DomainException(ErrorCode.UNAVAILABLE, "the store is closed"));
        }
    }

    private void run() {
        List<Request> drained = new ArrayList<>(maxBatchSize);
        while (true) {
            drained.clear();
            try {
                // Idle with a clean WAL: sleep until work comes; otherwise wake for the checkpoint.
                Request first = dirtySinceCheckpoint
                        ? queue.poll(CHECKPOINT_INTERVAL_NANOS, TimeUnit.NANOSECONDS)
                        : queue.take();
                if (first == null) {
                    checkpoint(); // idle: a good moment to fold the WAL back into the database file
                    continue;
                }
                drained.add(first);
            } catch (InterruptedException e) {
                continue; // only Stop ends the loop, so nothing queued is ever dropped
            }
            queue.drainTo(drained, maxBatchSize - 1);
            List<CommitRequest> commits = new ArrayList<>();
            boolean stop = false;
            for (Request r : drained) {
                if (r instanceof CommitRequest c) {
                    commits.add(c);
                    continue;
                }
                commitBatch(commits); // keep queue order around tasks
                commits = new ArrayList<>();
                if (r instanceof Task t) {
                    runTask(t);
                } else {
                    stop = true;
                }
            }
            commitBatch(commits);
            if (stop) {
                checkpoint();
                return;
            }
            compactIfDue();
            if (System.nanoTime() - lastCheckpoint >= CHECKPOINT_INTERVAL_NANOS) {
                checkpoint();
            }
        }
    }

    /**
     * Copies the WAL's committed frames into the database file, between batches. Here no frame
     * is appended while it runs, so the checkpoint catches up with the log and the next batch
     * starts the WAL over from its beginning. From another connection it raced the appends and
     * never caught up under sustained load: the WAL grew by 18 MB/s, and every COMMIT's fsync
     * had to extend the file. PASSIVE never waits for readers; a frame an open read snapshot
     * still needs is simply copied by a later checkpoint. Durability is unaffected: each COMMIT
     * already synced the WAL.
     */
    private void checkpoint() {
        if (!dirtySinceCheckpoint) {
            lastCheckpoint = System.nanoTime();
            return;
        }
        dirtySinceCheckpoint = false; // also on failure: retried after the next commit, not in a loop
        try {
            session.checkpointWal();
        } catch (SQLException e) {
            session.discardStatements();
            log.warn("WAL checkpoint failed (retried after the next commit): {}", e.getMessage());
        }
        lastCheckpoint = System.nanoTime();
    }

    private void commitBatch(List<CommitRequest> commits) {
        if (commits.isEmpty()) {
            return;
        }
        // Fast first: no savepoint per transaction (two statements each), since a failed compare
        // writes nothing. Only when SQLite rejects a statement is the batch rolled back and run
        // again with savepoints, so that the one transaction at fault fails alone.
        if (!commitBatch(commits, false)) {
            commitBatch(commits, true);
        }
    }

    /**
     * Commits the batch, or fails every transaction of it; returns false, having rolled it back
     * and failed nothing, when without savepoints SQLite rejected a statement.
     */
    private boolean commitBatch(List<CommitRequest> commits, boolean savepoints) {
        List<Outcome> outcomes = new ArrayList<>(commits.size());
        List<List<WatchEvent>> published = new ArrayList<>();
        long rev;
        try {
            session.exec("BEGIN IMMEDIATE");
            // Read under the write lock rather than trusting memory: cheap, and right even if another process wrote.
            long base = session.metaValue("revision");
            rev = base;
            for (CommitRequest c : commits) {
                Outcome outcome = savepoints ? evaluate(c.txn(), rev) : evaluateUnguarded(c.txn(), rev);
                outcomes.add(outcome);
                if (outcome.events() != null && !outcome.events().isEmpty()) {
                    rev = outcome.result().revision();
                    published.add(outcome.events());
                }
            }
            if (rev != base) {
                setMeta("revision", rev);
            }
            session.exec("COMMIT");
        } catch (SQLException | RuntimeException e) {
            session.rollbackQuietly();
            if (!savepoints && e instanceof SQLException) {
                return false;
            }
            RuntimeException failure = e instanceof SQLException sql
                    ? StoreFailures.of("group commit of " + commits.size() + " transactions failed", sql)
                    : new DomainException(ErrorCode.INTERNAL, "group commit failed: " + e, e);
            log.warn("{}", failure.getMessage(), e);
            acks.execute(() -> commits.forEach(c -> c.future().completeExceptionally(failure)));
            return true;
        }
        // Only now is the batch durable: publish and acknowledge, in revision order.
        dirtySinceCheckpoint = true;
        batches.incrementAndGet();
        revisions.committed(rev);
        if (!published.isEmpty()) {
            publisher.accept(published);
        }
        acks.execute(() -> {
            for (int i = 0; i < commits.size(); i++) {
                Outcome o = outcomes.get(i);
                if (o.error() != null) {
                    commits.get(i).future().completeExceptionally(o.error());
                } else {
                    commits.get(i).future().complete(o.result());
                }
            }
        });
        return true;
    }

    /**
     * Evaluates one transaction at revision {@code current} without a savepoint: its compares
     * run before any write, so a failed one leaves nothing to undo. An SQLException leaves this
     * transaction half applied and fails the attempt at the batch.
     */
    private Outcome evaluateUnguarded(Txn txn, long current) throws SQLException {
        String failedKey = firstFailedCompare(txn);
        if (failedKey != null) {
            return new Outcome(TxnResult.failure(current, failedKey), null, null);
        }
        List<WatchEvent> events = apply(txn, current + 1);
        return new Outcome(TxnResult.success(events.isEmpty() ? current : current + 1), events, null);
    }

    /**
     * Evaluates one transaction inside its own savepoint at revision {@code current}; compares see
     * the earlier transactions of the batch. An SQLException that leaves the batch transaction
     * intact fails only this transaction; one that does not propagates and fails the batch.
     */
    private Outcome evaluate(Txn txn, long current) throws SQLException {
        session.exec("SAVEPOINT txn");
        try {
            String failedKey = firstFailedCompare(txn);
            if (failedKey != null) {
                session.exec("ROLLBACK TO txn");
                session.exec("RELEASE txn");
                return new Outcome(TxnResult.failure(current, failedKey), null, null);
            }
            List<WatchEvent> events = apply(txn, current + 1);
            session.exec("RELEASE txn");
            // As in etcd, a transaction that changes nothing does not consume a revision.
            return new Outcome(TxnResult.success(events.isEmpty() ? current : current + 1), events, null);
        } catch (SQLException e) {
            session.discardStatements(); // the failed one may be finalized; see Session.rollbackQuietly
            try {
                session.exec("ROLLBACK TO txn");
                session.exec("RELEASE txn");
            } catch (SQLException rolledBack) {
                // SQLite already rolled the whole transaction back (as on SQLITE_FULL): the batch
                // fails, and with the first error, which says why.
                e.addSuppressed(rolledBack);
                throw e;
            }
            return new Outcome(null, null, StoreFailures.of("commit failed", e));
        }
    }

    private String firstFailedCompare(Txn txn) throws SQLException {
        for (Txn.Compare c : txn.compares()) {
            if (session.queryLong(COMPARE, c.key(), 0) != c.modRevision()) {
                return c.key();
            }
        }
        return null;
    }

    private List<WatchEvent> apply(Txn txn, long rev) throws SQLException {
        List<WatchEvent> events = new ArrayList<>();
        for (Txn.Op op : txn.ops()) {
            if (op instanceof Txn.Put put) {
                PreparedStatement upsert = session.prepare(UPSERT);
                upsert.setString(1, put.key());
                upsert.setBytes(2, put.value());
                upsert.setLong(3, rev);
                upsert.setLong(4, rev);
                upsert.executeUpdate();
                events.add(new WatchEvent(WatchEvent.Type.PUT, put.key(), put.value().clone(), rev));
            } else {
                PreparedStatement delete = session.prepare(DELETE);
                delete.setString(1, op.key());
                try (ResultSet removed = delete.executeQuery()) {
                    if (removed.next()) {
                        byte[] previous = removed.getBytes(1);
                        events.add(new WatchEvent(WatchEvent.Type.DELETE, op.key(),
                                previous == null ? new byte[0] : previous, rev));
                    }
                }
            }
        }
        if (!events.isEmpty()) {
            PreparedStatement append = session.prepare(APPEND_REVISION);
            append.setLong(1, rev);
            append.setBytes(2, RevisionRecord.encode(events));
            append.executeUpdate();
        }
        return events;
    }

    private void setMeta(String name, long value) throws SQLException {
        PreparedStatement ps = session.prepare(SET_META);
        ps.setLong(1, value);
        ps.setString(2, name);
        ps.executeUpdate();
    }

    private void runTask(Task task) {
        try {
            Object result = task.work().apply(session);
            acks.execute(() -> task.future().complete(result));
        } catch (SQLException e) {
            session.rollbackQuietly();
            acks.execute(() -> task.future().completeExceptionally(
                    DomainException.unavailable("store maintenance failed: " + e.getMessage(), e)));
        } catch (RuntimeException e) {
            session.rollbackQuietly();
            acks.execute(() -> task.future().completeExceptionally(e));
        }
    }

    /** Keeps about historyRevisions revisions of history; checked after each batch, done in steps. */
    private void compactIfDue() {
        long current = revisions.current();
        if (current - revisions.compacted() >= historyRevisions + compactionStep) {
            try {
                compactTo(current - historyRevisions);
            } catch (SQLException e) {
                log.warn("automatic compaction to revision {} failed; retrying after later commits",
                        current - historyRevisions, e);
            }
        }
    }

    private void compactTo(long revision) throws SQLException {
        if (revision <= revisions.compacted()) {
            return;
        }
        session.exec("BEGIN IMMEDIATE");
        try {
            PreparedStatement drop = session.prepare(DROP_HISTORY);
            drop.setLong(1, revision);
            drop.executeUpdate();
            setMeta("compacted", revision);
            session.exec("COMMIT");
            dirtySinceCheckpoint = true;
        } catch (SQLException | RuntimeException e) {
            session.rollbackQuietly();
            throw e;
        }
        revisions.compactedTo(revision);
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
