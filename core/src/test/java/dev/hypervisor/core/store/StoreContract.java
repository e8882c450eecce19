package dev.hypervisor.core.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every {@link Store} implementation must have: each implementation's test class
 * extends this suite (as containerd's SnapshotterSuite does for snapshotters).
 */
public abstract class StoreContract {

    protected static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    protected Path dir;

    protected Store store;

    /** Opens the implementation on {@code dir}; {@link DurableStoreContract} also reopens the same dir. */
    protected abstract Store openStore(Path dir);

    @BeforeEach
    void openFreshStore() {
        store = openStore(dir);
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    // --- put, get, revisions ---

    @Test
    void emptyStoreIsAtRevisionZeroWithNothingCompacted() {
        assertThat(store.revision()).isZero();
        assertThat(store.compactedRevision()).isZero();
        assertThat(store.get("/missing")).isEmpty();
    }

    @Test
    void putValueIsReadBackWithItsRevisions() {
        long rev = put("/a", "one");

        KeyValue kv = store.get("/a").orElseThrow();
        assertThat(kv.key()).isEqualTo("/a");
        assertThat(text(kv.value())).isEqualTo("one");
        assertThat(kv.createRevision()).isEqualTo(rev);
        assertThat(kv.modRevision()).isEqualTo(rev);
        assertThat(store.revision()).isEqualTo(rev);
    }

    @Test
    void eachCommittedTxnAdvancesTheRevisionByExactlyOne() {
        for (int i = 1; i <= 5; i++) {
            assertThat(put("/k" + i, "v")).isEqualTo(i);
            assertThat(store.revision()).isEqualTo(i);
        }
    }

    @Test
    void allOperationsOfOneTxnShareItsRevision() {
        put("/gone", "x");

        TxnResult r = commit(Txn.create().put("/a", bytes("1")).put("/b", bytes("2")).delete("/gone"));

        assertThat(r.succeeded()).isTrue();
        assertThat(r.revision()).isEqualTo(2);
        assertThat(store.get("/a").orElseThrow().modRevision()).isEqualTo(2);
        assertThat(store.get("/b").orElseThrow().modRevision()).isEqualTo(2);
        assertThat(store.get("/gone")).isEmpty();
        assertThat(store.revision()).isEqualTo(2);
    }

    @Test
    void createRevisionStaysWhileModRevisionFollowsEachUpdate() {
        long created = put("/a", "1");
        put("/other", "x");
        long updated = put("/a", "2");

        KeyValue kv = store.get("/a").orElseThrow();
        assertThat(kv.createRevision()).isEqualTo(created);
        assertThat(kv.modRevision()).isEqualTo(updated).isGreaterThan(created);
        assertThat(text(kv.value())).isEqualTo("2");
    }

    @Test
    void recreatingADeletedKeyStartsANewCreateRevision() {
        put("/a", "1");
        commit(Txn.create().delete("/a"));
        long recreated = put("/a", "2");

        assertThat(store.get("/a").orElseThrow().createRevision()).isEqualTo(recreated);
    }

    @Test
    void txnThatChangesNothingDoesNotConsumeARevision() {
        long rev = put("/a", "1");

        TxnResult compareOnly = commit(Txn.create().ifModRevision("/a", rev));
        TxnResult deleteOfMissing = commit(Txn.create().delete("/never-there"));

        assertThat(compareOnly.succeeded()).isTrue();
        assertThat(compareOnly.revision()).isEqualTo(rev);
        assertThat(deleteOfMissing.succeeded()).isTrue();
        assertThat(deleteOfMissing.revision()).isEqualTo(rev);
        assertThat(store.revision()).isEqualTo(rev);
        assertThat(put("/b", "2")).isEqualTo(rev + 1);
    }

    @Test
    void deleteRemovesTheKeyInANewRevision() {
        put("/a", "1");
        put("/b", "2");

        TxnResult r = commit(Txn.create().delete("/a"));

        assertThat(r.succeeded()).isTrue();
        assertThat(r.revision()).isEqualTo(3);
        assertThat(store.get("/a")).isEmpty();
        assertThat(store.get("/b")).isPresent();
        assertThat(store.range("/", "", 10).kvs()).extracting(KeyValue::key).containsExactly("/b");
    }

    @Test
    void emptyValuesRoundTripAsEmptyNotMissing() {
        commit(Txn.create().put("/e", new byte[0]));
        RecordingListener rec = new RecordingListener();

        try (Watch ignored = store.watch("/e", 0, rec)) {
            long rev = commit(Txn.create().delete("/e")).revision();
            rec.awaitRevision(rev, TIMEOUT);
        }

        assertThat(rec.events().get(0).value()).isEmpty();
        put("/e", "");
        assertThat(store.get("/e").orElseThrow().value()).isEmpty();
        assertThat(store.range("/e", "", 1).kvs().get(0).value()).isEmpty();
    }

    @Test
    void malformedTxnIsRejectedAsInvalidArgument() {
        assertCode(() -> store.commit(Txn.create().put("", bytes("x"))), ErrorCode.INVALID_ARGUMENT);
        assertCode(() -> store.commit(Txn.create().put("/a", null)), ErrorCode.INVALID_ARGUMENT);
        assertCode(() -> store.commit(Txn.create().ifAbsent("").put("/a", bytes("x"))), ErrorCode.INVALID_ARGUMENT);
        assertThat(store.revision()).isZero();
    }

    // --- compare-and-swap ---

    @Test
    void ifAbsentFailsWhenTheKeyExistsAndWritesNothing() {
        long rev = put("/a", "original");

        TxnResult r = commit(Txn.create().ifAbsent("/a").put("/a", bytes("new")).put("/other", bytes("x")));

        assertThat(r.succeeded()).isFalse();
        assertThat(r.failedKey()).isEqualTo("/a");
        assertThat(r.revision()).isEqualTo(rev);
        assertThat(store.revision()).isEqualTo(rev);
        assertThat(text(store.get("/a").orElseThrow().value())).isEqualTo("original");
        assertThat(store.get("/other")).isEmpty();
    }

    @Test
    void ifAbsentSucceedsForAMissingOrDeletedKey() {
        assertThat(commit(Txn.create().ifAbsent("/a").put("/a", bytes("1"))).succeeded()).isTrue();
        commit(Txn.create().delete("/a"));
        assertThat(commit(Txn.create().ifAbsent("/a").put("/a", bytes("2"))).succeeded()).isTrue();
        assertThat(text(store.get("/a").orElseThrow().value())).isEqualTo("2");
    }

    @Test
    void ifModRevisionSucceedsOnlyOnAnExactMatch() {
        put("/a", "1");
        put("/b", "1");
        long current = put("/a", "2");

        assertThat(commit(Txn.create().ifModRevision("/a", current - 2).put("/a", bytes("older"))).succeeded()).isFalse();
        assertThat(commit(Txn.create().ifModRevision("/a", current + 1).put("/a", bytes("newer"))).succeeded()).isFalse();
        assertThat(commit(Txn.create().ifModRevision("/a", 0).put("/a", bytes("absent"))).succeeded()).isFalse();
        TxnResult exact = commit(Txn.create().ifModRevision("/a", current).put("/a", bytes("exact")));
        TxnResult stale = commit(Txn.create().ifModRevision("/a", current).put("/a", bytes("stale")));

        assertThat(exact.succeeded()).isTrue();
        assertThat(stale.succeeded()).isFalse();
        assertThat(stale.failedKey()).isEqualTo("/a");
        assertThat(stale.revision()).isEqualTo(exact.revision());
        assertThat(text(store.get("/a").orElseThrow().value())).isEqualTo("exact");
    }

    @Test
    void ifModRevisionOfAMissingKeyFails() {
        put("/a", "1");

        TxnResult r = commit(Txn.create().ifModRevision("/missing", 1).put("/missing", bytes("x")));

        assertThat(r.succeeded()).isFalse();
        assertThat(r.failedKey()).isEqualTo("/missing");
        assertThat(store.get("/missing")).isEmpty();
    }

    @Test
    void oneFailingComparisonAppliesNoOperationAndNamesTheFirstFailedKey() {
        long a = put("/a", "1");
        long b = put("/b", "1");

        TxnResult r = commit(Txn.create()
                .ifModRevision("/a", a)
                .ifModRevision("/b", a)
                .ifModRevision("/c", 5)
                .put("/a", bytes("2"))
                .delete("/b")
                .put("/c", bytes("new")));

        assertThat(r.succeeded()).isFalse();
        assertThat(r.failedKey()).isEqualTo("/b");
        assertThat(r.revision()).isEqualTo(b);
        assertThat(store.revision()).isEqualTo(b);
        assertThat(text(store.get("/a").orElseThrow().value())).isEqualTo("1");
        assertThat(store.get("/b")).isPresent();
        assertThat(store.get("/c")).isEmpty();
    }

    // --- range and getAll ---

    @Test
    void rangeListsKeysUnderThePrefixInKeyOrder() {
        for (String k : List.of("/r/c", "/r/a", "/r/b/x", "/r/b", "/q", "/s")) {
            put(k, k);
        }

        RangeResult r = store.range("/r/", "", 100);

        assertThat(r.kvs()).extracting(KeyValue::key).containsExactly("/r/a", "/r/b", "/r/b/x", "/r/c");
        assertThat(r.more()).isFalse();
        assertThat(text(r.kvs().get(0).value())).isEqualTo("/r/a");
    }

    @Test
    void rangeDoesNotLeakKeysThatOnlyShareTheStartOfThePrefix() {
        for (String k : List.of("/a", "/a/", "/a/x", "/a/y", "/a0", "/ab", "/ab/x", "/b")) {
            put(k, k);
        }

        assertThat(keys(store.range("/a/", "", 100))).containsExactly("/a/", "/a/x", "/a/y");
        assertThat(keys(store.range("/ab", "", 100))).containsExactly("/ab", "/ab/x");
        assertThat(keys(store.range("/a/", "/a/y", 100))).isEmpty();
    }

    @Test
    void rangePagesWithStartAfterLimitAndMore() {
        commit(txnPutting(IntStream.range(0, 25).mapToObj(i -> String.format("/p/%02d", i)).toList()));
        put("/p0", "neighbour");
        put("/o", "neighbour");

        List<String> seen = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String after = "";
        RangeResult page;
        do {
            page = store.range("/p/", after, 10);
            page.kvs().forEach(kv -> seen.add(kv.key()));
            pageSizes.add(page.kvs().size());
            after = page.kvs().isEmpty() ? after : page.kvs().get(page.kvs().size() - 1).key();
        } while (page.more());

        assertThat(pageSizes).containsExactly(10, 10, 5);
        assertThat(seen).hasSize(25).doesNotHaveDuplicates().isSorted().allMatch(k -> k.startsWith("/p/"));
    }

    @Test
    void rangeSaysNoMoreWhenTheLastPageIsExactlyFull() {
        commit(txnPutting(List.of("/f/1", "/f/2", "/f/3", "/f/4")));

        RangeResult first = store.range("/f/", "", 2);
        RangeResult second = store.range("/f/", "/f/2", 2);
        RangeResult beyond = store.range("/f/", "/f/4", 2);

        assertThat(keys(first)).containsExactly("/f/1", "/f/2");
        assertThat(first.more()).isTrue();
        assertThat(keys(second)).containsExactly("/f/3", "/f/4");
        assertThat(second.more()).isFalse();
        assertThat(beyond.kvs()).isEmpty();
        assertThat(beyond.more()).isFalse();
    }

    @Test
    void rangeWithStartAfterBeforeThePrefixStartsAtThePrefix() {
        commit(txnPutting(List.of("/a/1", "/b/1", "/b/2")));

        assertThat(keys(store.range("/b/", "/a/9", 10))).containsExactly("/b/1", "/b/2");
    }

    @Test
    void rangeWithAnEmptyPrefixListsEveryKeyAndReportsTheRevision() {
        commit(txnPutting(List.of("/x", "/y")));
        long rev = put("/z", "z");

        RangeResult r = store.range("", "", 10);

        assertThat(keys(r)).containsExactly("/x", "/y", "/z");
        assertThat(r.revision()).isEqualTo(rev);
    }

    @Test
    void keysSortByUnicodeCodePointAsUtf8BytesDo() {
        String bmpHigh = "/u/\uFFFD";
        String emoji = "/u/\uD83D\uDE00";
        String beforeSurrogates = "/v/\uD7FF";
        String maxCodePoint = "/w/\uDBFF\uDFFF";
        commit(txnPutting(List.of("/u/a", emoji, bmpHigh, beforeSurrogates + "x", "/v/\uE000",
                maxCodePoint + "z", "/w0")));

        assertThat(keys(store.range("/u/", "", 10))).containsExactly("/u/a", bmpHigh, emoji);
        assertThat(keys(store.range("/u/", bmpHigh, 10))).containsExactly(emoji);
        assertThat(keys(store.range(bmpHigh, "", 10))).containsExactly(bmpHigh);
        assertThat(keys(store.range(beforeSurrogates, "", 10))).containsExactly(beforeSurrogates + "x");
        assertThat(keys(store.range(maxCodePoint, "", 10))).containsExactly(maxCodePoint + "z");
        assertThat(store.getAll(List.of(emoji, "/u/a", bmpHigh))).extracting(KeyValue::key)
                .containsExactly("/u/a", bmpHigh, emoji);
    }

    @Test
    void rangeRejectsANonPositiveLimit() {
        assertCode(() -> store.range("/", "", 0), ErrorCode.INVALID_ARGUMENT);
        assertCode(() -> store.range("/", "", -1), ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void getAllReturnsTheExistingKeysInKeyOrderOnce() {
        commit(txnPutting(List.of("/a", "/b", "/c")));

        List<KeyValue> kvs = store.getAll(List.of("/c", "/missing", "/a", "/c"));

        assertThat(kvs).extracting(KeyValue::key).containsExactly("/a", "/c");
        assertThat(store.getAll(List.of())).isEmpty();
    }

    @Test
    void getAllHandlesThousandsOfKeys() {
        List<String> keys = IntStream.range(0, 2500).mapToObj(i -> String.format("/many/%05d", i)).toList();
        commit(txnPutting(keys));
        List<String> wanted = new ArrayList<>(keys);
        wanted.add("/many/missing");
        java.util.Collections.shuffle(wanted, new java.util.Random(7));

        assertThat(store.getAll(wanted)).extracting(KeyValue::key).containsExactlyElementsOf(keys);
    }

    // --- watch ---

    @Test
    void watchFromZeroDeliversOnlyChangesMadeAfterIt() {
        put("/w/old1", "x");
        put("/w/old2", "x");
        RecordingListener rec = new RecordingListener();

        try (Watch ignored = store.watch("/w/", 0, rec)) {
            long rev = put("/w/new", "y");
            rec.awaitRevision(rev, TIMEOUT);

            assertThat(rec.events()).extracting(WatchEvent::key).containsExactly("/w/new");
            assertThat(text(rec.events().get(0).value())).isEqualTo("y");
            assertThat(rec.events().get(0).type()).isEqualTo(WatchEvent.Type.PUT);
        }
    }

    @Test
    void watchFromAPastRevisionReplaysHistoryThenContinuesLive() {
        for (int i = 1; i <= 5; i++) {
            put("/w/" + i, "v" + i);
        }
        RecordingListener rec = new RecordingListener();

        try (Watch ignored = store.watch("/w/", 2, rec)) {
            long live = put("/w/6", "v6");
            rec.awaitRevision(live, TIMEOUT);
        }

        assertThat(rec.revisions()).containsExactly(3L, 4L, 5L, 6L);
        assertThat(rec.events()).extracting(WatchEvent::key).containsExactly("/w/3", "/w/4", "/w/5", "/w/6");
    }

    @Test
    void watchFromAFutureRevisionSkipsChangesUpToIt() {
        long now = put("/w/a", "1");
        RecordingListener rec = new RecordingListener();

        try (Watch ignored = store.watch("/w/", now + 2, rec)) {
            put("/w/b", "2");
            put("/w/c", "3");
            long wanted = put("/w/d", "4");
            rec.awaitRevision(wanted, TIMEOUT);
        }

        assertThat(rec.events()).extracting(WatchEvent::key).containsExactly("/w/d");
    }

    @Test
    void watchCatchUpDuringConcurrentWritesHasNoGapAndNoDuplicate() throws Exception {
        for (int i = 1; i <= 100; i++) {
            put("/w/pre" + i, "v");
        }
        Set<Long> watchedRevisions = new ConcurrentSkipListSet<>();
        LongStream.rangeClosed(51, 100).forEach(watchedRevisions::add);
        int writers = 8;
        int commitsEach = 150;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        RecordingListener rec = new RecordingListener();
        // Half way, writers wait for the watch: on a busy machine they could otherwise all be
        // done before it starts, and the catch-up would race nothing.
        java.util.concurrent.CountDownLatch watching = new java.util.concurrent.CountDownLatch(1);
        Watch watch;
        long revisionWhenWatching;
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < writers; t++) {
                int writer = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < commitsEach; i++) {
                        if (i == commitsEach / 2 && !watching.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                            throw new AssertionError("the watch never started");
                        }
                        // Every other write lands outside the watched prefix.
                        String key = (i % 2 == 0 ? "/w/" : "/x/") + writer + "-" + i;
                        long rev = put(key, "v");
                        if (key.startsWith("/w/")) {
                            watchedRevisions.add(rev);
                        }
                    }
                    return null;
                }));
            }
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (store.revision() < 100 + 3L * writers && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            watch = store.watch("/w/", 50, rec);
            revisionWhenWatching = store.revision();
            watching.countDown();
            for (Future<?> f : done) {
                f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long last = put("/w/last", "v");
        watchedRevisions.add(last);
        rec.awaitRevision(last, TIMEOUT);
        watch.close();

        assertThat(revisionWhenWatching).as("writes still running after watch()").isLessThan(last - 1);
        assertThat(rec.revisions()).containsExactlyElementsOf(watchedRevisions);
        assertOneRevisionPerCall(rec);
        assertThat(rec.events()).allMatch(e -> e.key().startsWith("/w/"));
    }

    @Test
    void deleteEventsCarryThePreviousValue() {
        put("/w/a", "before");
        RecordingListener rec = new RecordingListener();

        try (Watch ignored = store.watch("/w/", 0, rec)) {
            long rev = commit(Txn.create().delete("/w/a")).revision();
            rec.awaitRevision(rev, TIMEOUT);
        }

        WatchEvent e = rec.events().get(0);
        assertThat(e.type()).isEqualTo(WatchEvent.Type.DELETE);
        assertThat(e.key()).isEqualTo("/w/a");
        assertThat(text(e.value())).isEqualTo("before");
        assertThat(e.revision()).isEqualTo(2);
    }

    @Test
    void eventsOfOneTxnArriveInOneCallInOperationOrder() {
        put("/w/old", "prev");
        RecordingListener rec = new RecordingListener();

        try (Watch ignored = store.watch("/w/", 0, rec)) {
            long rev = commit(Txn.create().put("/w/z", bytes("1")).delete("/w/old").put("/w/a", bytes("2")))
                    .revision();
            rec.awaitRevision(rev, TIMEOUT);
        }

        assertThat(rec.calls()).hasSize(1);
        assertThat(rec.calls().get(0)).extracting(WatchEvent::key, WatchEvent::type, WatchEvent::revision)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("/w/z", WatchEvent.Type.PUT, 2L),
                        org.assertj.core.groups.Tuple.tuple("/w/old", WatchEvent.Type.DELETE, 2L),
                        org.assertj.core.groups.Tuple.tuple("/w/a", WatchEvent.Type.PUT, 2L));
    }

    @Test
    void watchDeliversOnlyItsPrefix() {
        RecordingListener rec = new RecordingListener();

        try (Watch ignored = store.watch("/a/", 0, rec)) {
            put("/ab", "neighbour");
            put("/b/1", "other");
            commit(Txn.create().put("/a/mixed", bytes("1")).put("/ab/mixed", bytes("2")));
            long rev = put("/a/1", "mine");
            rec.awaitRevision(rev, TIMEOUT);
        }

        assertThat(rec.events()).extracting(WatchEvent::key).containsExactly("/a/mixed", "/a/1");
    }

    @Test
    void closedWatchReceivesNoMoreEvents() {
        RecordingListener closed = new RecordingListener();
        RecordingListener sentinel = new RecordingListener();
        Watch watch = store.watch("/w/", 0, closed);
        long first = put("/w/1", "v");
        closed.awaitRevision(first, TIMEOUT);

        watch.close();
        try (Watch ignored = store.watch("/w/", 0, sentinel)) {
            put("/w/2", "v");
            long last = put("/w/3", "v");
            sentinel.awaitRevision(last, TIMEOUT);
        }

        assertThat(closed.revisions()).containsExactly(first);
        assertThat(closed.errors()).isEmpty();
    }

    // --- compaction ---

    @Test
    void compactionKeepsCurrentValuesAndRecordsTheRevision() {
        for (int i = 1; i <= 5; i++) {
            put("/c/" + i, "v" + i);
        }

        store.compact(3);

        assertThat(store.compactedRevision()).isEqualTo(3);
        assertThat(store.revision()).isEqualTo(5);
        assertThat(keys(store.range("/c/", "", 10))).hasSize(5);
        assertThat(put("/c/6", "v")).isEqualTo(6);
    }

    @Test
    void watchFromBelowTheCompactedRevisionIsOutOfRange() {
        for (int i = 1; i <= 5; i++) {
            put("/c/" + i, "v");
        }
        store.compact(3);

        assertThatThrownBy(() -> store.watch("/c/", 2, new RecordingListener()))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE);
                    assertThat(e.getMessage()).contains("2").contains("3");
                });
    }

    @Test
    void watchFromTheCompactedRevisionReplaysWhatRemains() {
        for (int i = 1; i <= 5; i++) {
            put("/c/" + i, "v");
        }
        store.compact(3);
        RecordingListener rec = new RecordingListener();

        try (Watch ignored = store.watch("/c/", 3, rec)) {
            rec.awaitRevision(5, TIMEOUT);
        }

        assertThat(rec.revisions()).containsExactly(4L, 5L);
    }

    @Test
    void compactingToAFutureRevisionIsOutOfRangeAndAnOlderOneChangesNothing() {
        put("/c/1", "v");
        put("/c/2", "v");
        store.compact(2);

        assertCode(() -> {
            store.compact(3);
            return null;
        }, ErrorCode.OUT_OF_RANGE);
        store.compact(1);

        assertThat(store.compactedRevision()).isEqualTo(2);
    }

    // --- concurrency ---

    @Test
    void concurrentCommitsOnDistinctKeysAllSucceedWithDistinctRevisions() throws Exception {
        int n = 64;
        List<TxnResult> results = race(n, i -> store.commit(Txn.create().ifAbsent("/c/" + i).put("/c/" + i, bytes("v"))));

        assertThat(results).allMatch(TxnResult::succeeded);
        assertThat(results).extracting(TxnResult::revision)
                .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, n).boxed().toList());
        assertThat(store.revision()).isEqualTo(n);
        assertThat(store.range("/c/", "", 100).kvs()).hasSize(n);
    }

    @Test
    void racingCompareAndSwapOnOneKeyHasExactlyOneWinnerPerRound() throws Exception {
        put("/race", "start");
        for (int round = 0; round < 10; round++) {
            long seen = store.get("/race").orElseThrow().modRevision();

            List<TxnResult> results = race(32, i ->
                    store.commit(Txn.create().ifModRevision("/race", seen).put("/race", bytes("winner-" + i))));

            List<Integer> winners = IntStream.range(0, 32).filter(i -> results.get(i).succeeded()).boxed().toList();
            assertThat(winners).as("winners of round %d", round).hasSize(1);
            KeyValue now = store.get("/race").orElseThrow();
            assertThat(text(now.value())).isEqualTo("winner-" + winners.get(0));
            assertThat(now.modRevision()).isEqualTo(seen + 1).isEqualTo(results.get(winners.get(0)).revision());
            assertThat(results).filteredOn(r -> !r.succeeded()).allMatch(r -> "/race".equals(r.failedKey()));
        }
    }

    // --- durability and lifecycle ---

    @Test
    void closingTheStoreEndsWatchesWithUnavailable() {
        RecordingListener rec = new RecordingListener();
        store.watch("/", 0, rec);

        store.close();

        assertThat(rec.awaitError(TIMEOUT)).isInstanceOfSatisfying(DomainException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }

    @Test
    void commitAfterCloseFailsWithUnavailable() {
        store.close();

        assertCode(() -> store.commit(Txn.create().put("/a", bytes("x"))), ErrorCode.UNAVAILABLE);
        store.close();
    }

    // --- helpers ---

    protected final Store reopen() {
        store.close();
        store = openStore(dir);
        return store;
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    protected static String text(byte[] b) {
        return new String(b, UTF_8);
    }

    protected final TxnResult commit(Txn txn) {
        return await(store.commit(txn));
    }

    /** Puts one key and returns the new revision. */
    protected final long put(String key, String value) {
        TxnResult r = commit(Txn.create().put(key, bytes(value)));
        assertThat(r.succeeded()).isTrue();
        return r.revision();
    }

    protected static Txn txnPutting(List<String> keys) {
        Txn txn = Txn.create();
        keys.forEach(k -> txn.put(k, bytes(k)));
        return txn;
    }

    protected static List<String> keys(RangeResult r) {
        return r.kvs().stream().map(KeyValue::key).toList();
    }

    /** Waits for a future, rethrowing a failure's cause (a DomainException) as is. */
    protected static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("no outcome within " + TIMEOUT, e);
        }
    }

    /** Asserts that the call fails with a DomainException of {@code code}, synchronously or through its future. */
    protected static void assertCode(ThrowingCall call, ErrorCode code) {
        assertThatThrownBy(() -> {
            Object result = call.run();
            if (result instanceof CompletableFuture<?> f) {
                await(f);
            }
        }).isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(code));
    }

    /** Starts n calls at the same instant on n threads and returns their outcomes by index. */
    protected static <T> List<T> race(int n, java.util.function.IntFunction<CompletableFuture<T>> call)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch ready = new CountDownLatch(n);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<CompletableFuture<T>>> submitted = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                submitted.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return call.apply(index);
                }));
            }
            ready.await();
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<CompletableFuture<T>> f : submitted) {
                results.add(await(f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    protected static void assertOneRevisionPerCall(RecordingListener rec) {
        for (List<WatchEvent> call : rec.calls()) {
            assertThat(call).isNotEmpty().extracting(WatchEvent::revision).containsOnly(call.get(0).revision());
        }
        assertThat(rec.revisions()).doesNotHaveDuplicates().isSorted();
    }

    /** A call that may throw or return a future that fails. */
    @FunctionalInterface
    protected interface ThrowingCall {
        Object run();
    }
}
