package dev.hypervisor.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract of stores whose data outlives close() (every real adapter): values, revisions
 * and change history survive a reopen, and an acknowledged commit is durable at once.
 */
public abstract class DurableStoreContract extends StoreContract {

    @Test
    void valuesAndRevisionSurviveReopen() {
        put("/d/a", "1");
        commit(Txn.create().put("/d/b", bytes("2")).put("/d/c", bytes("3")));
        commit(Txn.create().delete("/d/c"));
        store.compact(1);

        reopen();

        assertThat(store.revision()).isEqualTo(3);
        assertThat(store.compactedRevision()).isEqualTo(1);
        assertThat(keys(store.range("/d/", "", 10))).containsExactly("/d/a", "/d/b");
        assertThat(store.get("/d/b").orElseThrow().modRevision()).isEqualTo(2);
        assertThat(put("/d/e", "4")).isEqualTo(4);
    }

    @Test
    void changeHistorySurvivesReopen() {
        put("/d/a", "1");
        put("/d/b", "2");
        commit(Txn.create().delete("/d/a"));

        reopen();
        RecordingListener rec = new RecordingListener();
        try (Watch ignored = store.watch("/d/", 1, rec)) {
            rec.awaitRevision(3, TIMEOUT);
        }

        assertThat(rec.events()).extracting(WatchEvent::key, WatchEvent::type).containsExactly(
                org.assertj.core.groups.Tuple.tuple("/d/b", WatchEvent.Type.PUT),
                org.assertj.core.groups.Tuple.tuple("/d/a", WatchEvent.Type.DELETE));
        assertThat(text(rec.events().get(1).value())).isEqualTo("1");
    }

    @Test
    void anAcknowledgedCommitIsDurableWithoutAClose() throws Exception {
        List<TxnResult> acked = race(16, i -> store.commit(Txn.create().put("/ack/" + i, bytes("v" + i))));

        // A second instance on the same data, while the first is still open, must see every acknowledged write.
        try (Store other = openStore(dir)) {
            assertThat(other.range("/ack/", "", 100).kvs()).hasSize(16);
            assertThat(other.revision()).isEqualTo(acked.stream().mapToLong(TxnResult::revision).max().orElseThrow());
        }
    }
}
