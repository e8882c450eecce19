package dev.hypervisor.store.sqlite;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.Keys;
import dev.hypervisor.core.store.RangeResult;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@link Store} port on one SQLite file: group-committed writes on one connection, reads on a
 * small pool of read-only connections, and watches fed from a history table of one row per revision.
 */
public final class SqliteStore implements Store {

    private static final String COLUMNS = "SELECT key, value, create_rev, mod_rev FROM kv";
    private static final String GET = COLUMNS + " WHERE key = ?";
    private static final String RANGE = COLUMNS + " WHERE key > ? AND key >= ? AND key < ? ORDER BY key LIMIT ?";
    private static final String RANGE_TO_END = COLUMNS + " WHERE key > ? AND key >= ? ORDER BY key LIMIT ?";
    /** getAll binds keys in chunks of these sizes (padding with repeats) so only a few statements are prepared. */
    private static final int[] IN_CHUNKS = {1, 8, 64, 500};

    private final Revisions revisions;
    private final ReadPool reads;
    private final WatchHub watches;
    private final GroupCommitWriter writer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SqliteStore(Revisions revisions, ReadPool reads, WatchHub watches, GroupCommitWriter writer) {
        this.revisions = revisions;
        this.reads = reads;
        this.watches = watches;
        this.writer = writer;
    }

    /** Opens (creating if needed) and migrates the database file, then starts the writer. */
    public static SqliteStore open(Path dbFile, SqliteStoreOptions options) {
        Session writeSession = null;
        ReadPool reads = null;
        try {
            Path parent = dbFile.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            writeSession = Session.openWriter(dbFile, options.busyTimeout());
            Migrations.migrate(writeSession, dbFile);
            Revisions revisions = new Revisions(writeSession.metaValue("revision"), writeSession.metaValue("compacted"));
            reads = ReadPool.open(dbFile, options.readPoolSize(), options.busyTimeout());
            WatchHub watches = new WatchHub(reads, revisions);
            GroupCommitWriter writer = new GroupCommitWriter(writeSession, revisions, options, watches::publish);
            return new SqliteStore(revisions, reads, watches, writer);
        } catch (SQLException | IOException | RuntimeException e) {
            if (reads != null) {
                reads.close();
            }
            if (writeSession != null) {
                writeSession.close();
            }
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw DomainException.unavailable("cannot open the store at " + dbFile + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long revision() {
        return revisions.current();
    }

    @Override
    public Optional<KeyValue> get(String key) {
        Keys.require(key);
        return reads.read("get " + key, s -> {
            PreparedStatement ps = s.prepare(GET);
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(keyValue(rs)) : Optional.empty();
            }
        });
    }

    @Override
    public List<KeyValue> getAll(Collection<String> keys) {
        TreeSet<String> sorted = new TreeSet<>(Keys.CODE_POINTS);
        keys.forEach(k -> sorted.add(Keys.require(k)));
        List<String> wanted = new ArrayList<>(sorted);
        if (wanted.isEmpty()) {
            return List.of();
        }
        // One snapshot for all chunks, so the result is one consistent view.
        return reads.read("getAll", session -> session.inReadTransaction(s -> {
            List<KeyValue> found = new ArrayList<>();
            for (int from = 0; from < wanted.size(); ) {
                int size = chunkSize(wanted.size() - from);
                PreparedStatement ps = s.prepare(COLUMNS + " WHERE key IN (" + "?,".repeat(size - 1) + "?) ORDER BY key");
                for (int i = 0; i < size; i++) {
                    ps.setString(i + 1, wanted.get(Math.min(from + i, wanted.size() - 1)));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found.add(keyValue(rs));
                    }
                }
                from += size;
            }
            return found;
        }));
    }

    @Override
    public RangeResult range(String prefix, String startAfter, int limit) {
        if (prefix == null || startAfter == null) {
            throw DomainException.invalidArgument("prefix", "must not be null");
        }
        if (limit <= 0) {
            throw DomainException.invalidArgument("limit", "must be positive, got " + limit);
        }
        String end = Keys.prefixEnd(prefix);
        return reads.read("range " + prefix, session -> session.inReadTransaction(s -> {
            // Keyset pagination: the index seeks straight to the page, where OFFSET would scan past it.
            PreparedStatement ps = s.prepare(end == null ? RANGE_TO_END : RANGE);
            int i = 1;
            ps.setString(i++, startAfter);
            ps.setString(i++, prefix);
            if (end != null) {
                ps.setString(i++, end);
            }
            ps.setInt(i, limit + 1);
            List<KeyValue> page = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    page.add(keyValue(rs));
                }
            }
            boolean more = page.size() > limit;
            List<KeyValue> kvs = more ? page.subList(0, limit) : page;
            return new RangeResult(List.copyOf(kvs), more, s.metaValue("revision"));
        }));
    }

    @Override
    public CompletableFuture<TxnResult> commit(Txn txn) {
        Keys.requireValid(txn);
        return writer.submit(txn);
    }

    @Override
    public Watch watch(String prefix, long afterRevision, WatchListener listener) {
        if (prefix == null || listener == null || afterRevision < 0) {
            throw DomainException.invalidArgument("watch", "needs a prefix, a listener and afterRevision >= 0");
        }
        return watches.watch(prefix, afterRevision, listener);
    }

    @Override
    public long compactedRevision() {
        return revisions.compacted();
    }

    @Override
    public void compact(long revision) {
        join(writer.compact(revision));
    }

    /** How many write transactions, and so fsyncs, commits have needed so far (a metric). */
    public long commitBatches() {
        return writer.batches();
    }

    /** Runs work on the writer thread between batches: the seam tests use to hold or poison a batch. */
    <T> CompletableFuture<T> onWriterThread(Session.Work<T> work) {
        return writer.run(work);
    }

    /** Commits what is queued, ends the watches, and closes every connection; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            writer.close();
            watches.close();
            reads.close();
        }
    }

    private static int chunkSize(int remaining) {
        for (int size : IN_CHUNKS) {
            if (remaining <= size) {
                return size;
            }
        }
        return IN_CHUNKS[IN_CHUNKS.length - 1];
    }

    private static KeyValue keyValue(ResultSet rs) throws SQLException {
        byte[] value = rs.getBytes(2);
        return new KeyValue(rs.getString(1), value == null ? new byte[0] : value, rs.getLong(3), rs.getLong(4));
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (ExecutionException | CompletionException e) {
            throw e.getCause() instanceof RuntimeException re
                    ? re
                    : new DomainException(ErrorCode.INTERNAL, "store task failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DomainException(ErrorCode.UNAVAILABLE, "interrupted while waiting for the store", e);
        }
    }


}
