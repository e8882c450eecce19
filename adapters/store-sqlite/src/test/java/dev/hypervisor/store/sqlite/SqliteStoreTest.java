package dev.hypervisor.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.RecordingListener;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.DurableStoreContract;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The store contract on a real SQLite file, plus what only the SQLite adapter promises. */
class SqliteStoreTest extends DurableStoreContract {

    @Override
    protected Store openStore(Path dir) {
        return SqliteStore.open(dir.resolve("store.db"), SqliteStoreOptions.defaults());
    }

    private SqliteStore sqlite() {
        return (SqliteStore) store;
    }

    @Test
    void writerUsesWalWithFullSyncAndKeepsStatementJournalsInMemory() {
        List<String> pragmas = await(sqlite().onWriterThread(s -> {
            try (Statement st = s.connection().createStatement()) {
                var jm = st.executeQuery("PRAGMA journal_mode");
                jm.next();
                String mode = jm.getString(1);
                var sync = st.executeQuery("PRAGMA synchronous");
                sync.next();
                var temp = st.executeQuery("PRAGMA temp_store");
                temp.next();
                return List.of(mode, sync.getString(1), temp.getString(1));
            }
        }));

        // 2 = FULL; temp_store 2 = MEMORY (the savepoints' statement journals)
        assertThat(pragmas).containsExactly("wal", "2", "2");
    }

    @Test
    void concurrentCommitsShareFsyncs() throws Exception {
        long before = sqlite().commitBatches();

        List<TxnResult> results = race(200, i -> store.commit(Txn.create().put("/g/" + i, bytes("v"))));

        assertThat(results).allMatch(TxnResult::succeeded);
        assertThat(results).extracting(TxnResult::revision)
                .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, 200).boxed().toList());
        assertThat(sqlite().commitBatches() - before).isPositive().isLessThan(200);
    }

    @Test
    void everythingQueuedWhileTheWriterIsBusyCommitsInOneBatch() {
        CountDownLatch release = holdWriter(sqlite());
        long before = sqlite().commitBatches();
        List<CompletableFuture<TxnResult>> futures = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            futures.add(store.commit(Txn.create().put("/b/" + i, bytes("v"))));
        }

        release.countDown();

        assertThat(futures.stream().map(DurableStoreContract::await)).allMatch(TxnResult::succeeded);
        assertThat(sqlite().commitBatches() - before).isEqualTo(1);
    }

    @Test
    void batchesNeverExceedTheMaximumSize() {
        try (SqliteStore small = SqliteStore.open(dir.resolve("small.db"),
                SqliteStoreOptions.defaults().withMaxBatchSize(4))) {
            CountDownLatch release = holdWriter(small);
            List<CompletableFuture<TxnResult>> futures = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                futures.add(small.commit(Txn.create().put("/m/" + i, bytes("v"))));
            }

            release.countDown();

            assertThat(futures.stream().map(DurableStoreContract::await)).allMatch(TxnResult::succeeded);
            assertThat(small.commitBatches()).isEqualTo(3); // 4 + 4 + 2
        }
    }

    @Test
    void closeCommitsWhatIsAlreadyQueued() throws Exception {
        CountDownLatch release = holdWriter(sqlite());
        List<CompletableFuture<TxnResult>> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queued.add(store.commit(Txn.create().put("/q/" + i, bytes("v"))));
        }
        Thread closer = new Thread(store::close);
        closer.start();
        while (closer.getState() != Thread.State.WAITING && closer.isAlive()) {
            Thread.onSpinWait(); // close() is now waiting for the writer
        }
        CompletableFuture<TxnResult> late = store.commit(Txn.create().put("/q/late", bytes("v")));

        release.countDown();
        closer.join(TIMEOUT.toMillis());

        assertThat(queued.stream().map(DurableStoreContract::await)).allMatch(TxnResult::succeeded);
        assertThatThrownBy(() -> await(late)).isInstanceOfSatisfying(DomainException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
        reopen();
        assertThat(store.range("/q/", "", 100).kvs()).hasSize(10);
    }

    @Test
    void comparisonsSeeEarlierTransactionsOfTheSameBatch() {
        CountDownLatch release = holdWriter(sqlite());
        long before = sqlite().commitBatches();
        CompletableFuture<TxnResult> first = store.commit(Txn.create().ifAbsent("/k").put("/k", bytes("first")));
        CompletableFuture<TxnResult> second = store.commit(Txn.create().ifAbsent("/k").put("/k", bytes("second")));
        CompletableFuture<TxnResult> third = store.commit(Txn.create().ifModRevision("/k", 1).put("/k", bytes("third")));

        release.countDown();

        assertThat(await(first)).isEqualTo(TxnResult.success(1));
        assertThat(await(second)).isEqualTo(TxnResult.failure(1, "/k"));
        assertThat(await(third)).isEqualTo(TxnResult.success(2));
        assertThat(text(store.get("/k").orElseThrow().value())).isEqualTo("third");
        assertThat(sqlite().commitBatches() - before).isEqualTo(1);
    }

    @Test
    void failedCommitFailsEveryTransactionOfTheBatchAndPublishesNothing() {
        put("/ok", "before");
        RecordingListener rec = new RecordingListener();
        Watch watch = store.watch("/", 0, rec);
        // A deferred foreign key violated by the poisoned key makes the batch's COMMIT itself fail.
        await(sqlite().onWriterThread(s -> {
            try (Statement st = s.connection().createStatement()) {
                st.execute("PRAGMA foreign_keys = ON");
                st.execute("CREATE TEMP TABLE parent (id TEXT PRIMARY KEY)");
                st.execute("CREATE TEMP TABLE child (id TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)");
                st.execute("CREATE TEMP TRIGGER poison AFTER INSERT ON main.kv WHEN new.key = '/poison'"
                        + " BEGIN INSERT INTO child VALUES ('nobody'); END");
            }
            return null;
        }));
        CountDownLatch release = holdWriter(sqlite());
        List<CompletableFuture<TxnResult>> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(store.commit(Txn.create().put("/good/" + i, bytes("v"))));
        }
        batch.add(store.commit(Txn.create().put("/poison", bytes("v"))));

        release.countDown();

        for (CompletableFuture<TxnResult> f : batch) {
            assertThatThrownBy(() -> await(f)).isInstanceOfSatisfying(DomainException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
        }
        assertThat(store.revision()).isEqualTo(1);
        assertThat(store.range("/good/", "", 10).kvs()).isEmpty();
        await(sqlite().onWriterThread(s -> execute(s, "DROP TRIGGER poison")));
        assertThat(put("/after", "v")).isEqualTo(2);
        rec.awaitRevision(2, TIMEOUT);
        watch.close();
        assertThat(rec.events()).extracting(WatchEvent::key).containsExactly("/after");
    }

    @Test
    void transactionSqliteRejectsFailsAloneWithUnavailable() {
        // A statement-level error (the trigger aborts one INSERT) leaves the batch transaction intact.
        await(sqlite().onWriterThread(s -> execute(s, "CREATE TEMP TRIGGER reject BEFORE INSERT ON main.kv"
                + " WHEN new.key = '/s/bad' BEGIN SELECT RAISE(ABORT, 'rejected by test'); END")));
        CountDownLatch release = holdWriter(sqlite());
        long before = sqlite().commitBatches();
        CompletableFuture<TxnResult> small1 = store.commit(Txn.create().put("/s/1", bytes("v")));
        CompletableFuture<TxnResult> bad = store.commit(Txn.create().put("/s/ok-part", bytes("v")).put("/s/bad", bytes("v")));
        CompletableFuture<TxnResult> small2 = store.commit(Txn.create().put("/s/2", bytes("v")));

        release.countDown();

        assertThat(await(small1)).isEqualTo(TxnResult.success(1));
        assertThatThrownBy(() -> await(bad)).isInstanceOfSatisfying(DomainException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(e.getMessage()).contains("rejected by test");
        });
        assertThat(await(small2)).isEqualTo(TxnResult.success(2));
        assertThat(store.get("/s/ok-part")).as("rolled back with its savepoint").isEmpty();
        assertThat(sqlite().commitBatches() - before).isEqualTo(1);
    }

    @Test
    void fullDiskFailsTheBatchAndTheStoreRecoversOnceThereIsRoom() {
        // Cap the file a few pages above its size. SQLite rolls back the whole transaction on SQLITE_FULL.
        long pages = await(sqlite().onWriterThread(SqliteStoreTest::pageCount));
        await(sqlite().onWriterThread(s -> execute(s, "PRAGMA max_page_count = " + (pages + 20))));
        CountDownLatch release = holdWriter(sqlite());
        CompletableFuture<TxnResult> small = store.commit(Txn.create().put("/s/1", bytes("v")));
        CompletableFuture<TxnResult> big = store.commit(Txn.create().put("/s/big", new byte[4 << 20]));

        release.countDown();

        for (CompletableFuture<TxnResult> f : List.of(small, big)) {
            // RESOURCE_EXHAUSTED, not UNAVAILABLE: retrying cannot help until space is freed.
            assertThatThrownBy(() -> await(f)).isInstanceOfSatisfying(DomainException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
                assertThat(e.getMessage()).contains("the store's disk is full");
            });
        }
        assertThat(store.revision()).isZero();
        assertThat(store.get("/s/1")).isEmpty();
        await(sqlite().onWriterThread(s -> execute(s, "PRAGMA max_page_count = 1073741823")));
        assertThat(commit(Txn.create().put("/s/big", new byte[4 << 20])).revision()).isEqualTo(1);
    }

    @Test
    void watchReplaysHistoryLongerThanOneReadPage() {
        List<CompletableFuture<TxnResult>> futures = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            futures.add(store.commit(Txn.create().put("/long/" + i, bytes("v"))));
        }
        futures.forEach(DurableStoreContract::await);
        RecordingListener rec = new RecordingListener();

        try (Watch ignored = store.watch("/long/", 1, rec)) {
            rec.awaitRevision(2500, TIMEOUT);
        }

        assertThat(rec.revisions()).containsExactlyElementsOf(LongStream.rangeClosed(2, 2500).boxed().toList());
    }

    @Test
    void writerCompactsOldHistoryOnItsOwn() throws Exception {
        try (SqliteStore kept = SqliteStore.open(dir.resolve("kept.db"),
                SqliteStoreOptions.defaults().withHistoryRevisions(10))) {
            for (int i = 0; i < 50; i++) {
                await(kept.commit(Txn.create().put("/h/" + i, bytes("v"))));
            }
            // Compaction follows a batch's acknowledgement; a writer task runs after it.
            long revisions = await(kept.onWriterThread(s -> s.queryLong("SELECT count(*) FROM history", null, -1)));
            long compacted = kept.compactedRevision();

            assertThat(compacted).isBetween(30L, 40L);
            assertThat(revisions).isEqualTo(50 - compacted);
            assertThatThrownBy(() -> kept.watch("/h/", compacted - 1, new RecordingListener()))
                    .isInstanceOfSatisfying(DomainException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE));
            assertThat(kept.range("/h/", "", 100).kvs()).hasSize(50);
        }
    }

    @Test
    void fileThatIsNotADatabaseIsUnavailable() throws Exception {
        Path garbage = dir.resolve("garbage.db");
        Files.writeString(garbage, "not a database. ".repeat(1000));

        assertThatThrownBy(() -> SqliteStore.open(garbage, SqliteStoreOptions.defaults()))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
                    assertThat(e.getCause()).isInstanceOf(java.sql.SQLException.class);
                });
    }

    @Test
    void theWalStaysShortUnderSustainedWritesAndReads() throws Exception {
        // 64 MB of values (about 150 MB of WAL with the change log) from 64 concurrent writers per round while a
        // reader reads: the old checkpointer, racing the appends from another connection, let the WAL reach
        // 151 MB here; checkpointed between batches on the writer, it peaked at 19 MB.
        Path wal = dir.resolve("store.db-wal");
        byte[] value = new byte[16 * 1024];
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong largestWal = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicReference<Throwable> readerFailure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                while (writing.get()) {
                    store.get("/w/1");
                    if (Files.exists(wal)) {
                        largestWal.accumulateAndGet(Files.size(wal), Math::max);
                    }
                    Thread.sleep(1);
                }
            } catch (Throwable t) {
                readerFailure.set(t);
            }
        });
        reader.start();
        try {
            for (int round = 0; round < 64; round++) {
                int base = round * 64;
                List<TxnResult> results = race(64, i -> store.commit(Txn.create().put("/w/" + (base + i), value)));
                assertThat(results).allMatch(TxnResult::succeeded);
            }
        } finally {
            writing.set(false);
            reader.join();
        }

        assertThat(readerFailure.get()).as("the reader's failure").isNull();
        assertThat(largestWal.get()).as("largest WAL seen, bytes").isPositive().isLessThan(48L << 20);
    }

    /** Occupies the writer thread until the returned latch is released, so commits queue up. */
    private static CountDownLatch holdWriter(SqliteStore store) {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.onWriterThread(s -> {
            holding.countDown();
            try {
                return release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            holding.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return release;
    }

    private static boolean execute(Session s, String sql) throws java.sql.SQLException {
        try (Statement st = s.connection().createStatement()) {
            return st.execute(sql);
        }
    }

    private static long pageCount(Session s) throws java.sql.SQLException {
        return s.queryLong("PRAGMA page_count", null, 0);
    }
}
