package dev.hypervisor.images;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.store.RecordCodec;
import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.RangeResult;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.Txn;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Image records in the revisioned store: {@code /images/DIGEST} holds the record,
 * {@code /imagerefs/REFERENCE} names the digest a reference points at, and
 * {@code /imageusers/INSTANCE} the image an instance uses. Every change is a
 * compare-and-swap, so concurrent pulls, removals and instances cannot lose an update.
 */
final class ImageRecords {

    static final String IMAGES = "/images/";
    static final String REFS = "/imagerefs/";
    static final String USERS = "/imageusers/";
    private static final int MAX_ATTEMPTS = 16;
    private final ConcurrentHashMap<String, Pending> updates = new ConcurrentHashMap<>();

    private final Store store;

    ImageRecords(Store store) {
        this.store = store;
    }

    Optional<ImageRecord> find(String digest) {
        return store.get(IMAGES + digest).map(kv -> RecordCodec.decode(kv.value(), ImageRecord.class));
    }

    Optional<String> digestOf(String reference) {
        return store.get(REFS + reference).map(kv -> new String(kv.value(), StandardCharsets.UTF_8));
    }

    /** The image a reference or digest names. */
    Optional<ImageRecord> lookup(String referenceOrDigest) {
        if (referenceOrDigest.startsWith("sha256:")) {
            return find(referenceOrDigest);
        }
        return digestOf(referenceOrDigest).flatMap(this::find);
    }

    /**
     * Stores a pulled image under {@code reference}: creates the record or adds the reference
     * to it, and moves the reference away from the image it named before (a tag that moved).
     */
    ImageRecord save(ImageRecord pulled, String reference) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Txn txn = Txn.create();
            Optional<KeyValue> existing = store.get(IMAGES + pulled.digest());
            ImageRecord record = existing.map(kv -> RecordCodec.decode(kv.value(), ImageRecord.class))
                    .orElse(pulled).withReference(reference);
            txn.ifModRevision(IMAGES + pulled.digest(), existing.map(KeyValue::modRevision).orElse(0L))
                    .put(IMAGES + pulled.digest(), RecordCodec.encode(record));
            Optional<KeyValue> ref = store.get(REFS + reference);
            String previous = ref.map(kv -> new String(kv.value(), StandardCharsets.UTF_8)).orElse("");
            txn.ifModRevision(REFS + reference, ref.map(KeyValue::modRevision).orElse(0L))
                    .put(REFS + reference, pulled.digest().getBytes(StandardCharsets.UTF_8));
            if (!previous.isEmpty() && !previous.equals(pulled.digest())) {
                Optional<KeyValue> old = store.get(IMAGES + previous);
                if (old.isPresent()) {
                    ImageRecord moved = RecordCodec.decode(old.get().value(), ImageRecord.class).withoutReference(reference);
                    txn.ifModRevision(IMAGES + previous, old.get().modRevision())
                            .put(IMAGES + previous, RecordCodec.encode(moved));
                }
            }
            if (store.commitAndWait(txn).succeeded()) {
                return record;
            }
        }
        throw DomainException.aborted("image record " + pulled.digest() + " kept changing; retry");
    }

    /**
     * Applies {@code change} to a record with a compare-and-swap, retrying on a lost race;
     * returns the record as committed (with this change, and perhaps others made with it).
     *
     * <p>Fifty instances created at once from one image all mark it used. Racing would fail
     * all but one compare-and-swap per round, and taking turns costs one durable commit each,
     * in a row (measured: the turns serialized 50 concurrent creates behind 50 fsyncs). So
     * changes to one record combine: whoever finds no commit of that record in flight commits
     * every change queued so far in one transaction; the others wait for it, and the next
     * waiter left over leads the next round.
     */
    ImageRecord update(String digest, UnaryOperator<ImageRecord> change, UnaryOperator<Txn> extra) {
        Change mine = new Change(change, extra);
        Pending pending = updates.computeIfAbsent(digest, d -> new Pending());
        List<Change> batch;
        synchronized (pending) {
            pending.queue.add(mine);
            while (pending.committing && mine.outcome == null) {
                try {
                    pending.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw DomainException.unavailable("interrupted while updating image record " + digest, e);
                }
            }
            if (mine.outcome != null) {
                return mine.result();
            }
            pending.committing = true;
            batch = new ArrayList<>(pending.queue);
            pending.queue.clear();
        }
        try {
            commitTogether(digest, batch);
        } catch (RuntimeException e) {
            batch.stream().filter(c -> c.outcome == null).forEach(c -> c.outcome = e);
        } finally {
            synchronized (pending) {
                pending.committing = false;
                pending.notifyAll();
            }
        }
        return mine.result();
    }

    /** One record's changes: those queued, and whether a commit of them is in flight. */
    private static final class Pending {
        final List<Change> queue = new ArrayList<>();
        boolean committing;
    }

    /** A queued change; its outcome (the committed record or the failure) is set under the Pending's lock. */
    private static final class Change {
        final UnaryOperator<ImageRecord> change;
        final UnaryOperator<Txn> extra;
        Object outcome;

        Change(UnaryOperator<ImageRecord> change, UnaryOperator<Txn> extra) {
            this.change = change;
            this.extra = extra;
        }

        ImageRecord result() {
            if (outcome instanceof RuntimeException e) {
                throw e;
            }
            return (ImageRecord) outcome;
        }
    }

    /** Commits the changes in one transaction; if it cannot, one by one, so one bad change fails alone. */
    private void commitTogether(String digest, List<Change> batch) {
        if (batch.size() > 1) {
            ImageRecord together = tryCommit(digest, batch, 1);
            if (together != null) {
                batch.forEach(c -> c.outcome = together);
                return;
            }
        }
        for (Change c : batch) {
            ImageRecord alone = tryCommit(digest, List.of(c), MAX_ATTEMPTS);
            c.outcome = alone != null ? alone
                    : DomainException.aborted("image record " + digest + " kept changing; retry");
        }
    }

    /** The committed record, or null when every attempt lost its compare-and-swap. */
    private ImageRecord tryCommit(String digest, List<Change> changes, int attempts) {
        for (int attempt = 0; attempt < attempts; attempt++) {
            KeyValue kv = store.get(IMAGES + digest).orElseThrow(() -> DomainException.notFound("image " + digest));
            ImageRecord next = RecordCodec.decode(kv.value(), ImageRecord.class);
            for (Change c : changes) {
                next = c.change.apply(next);
            }
            Txn txn = Txn.create().ifModRevision(IMAGES + digest, kv.modRevision())
                    .put(IMAGES + digest, RecordCodec.encode(next));
            for (Change c : changes) {
                txn = c.extra.apply(txn);
            }
            if (store.commitAndWait(txn).succeeded()) {
                return next;
            }
        }
        return null;
    }

    /** Removes a reference; when it was the last and nothing uses the image, the record goes too. */
    boolean removeReference(ImageRecord record, String reference) {
        Optional<KeyValue> kv = store.get(IMAGES + record.digest());
        Optional<KeyValue> ref = store.get(REFS + reference);
        if (kv.isEmpty() || ref.isEmpty()) {
            return false;
        }
        ImageRecord current = RecordCodec.decode(kv.get().value(), ImageRecord.class).withoutReference(reference);
        Txn txn = Txn.create().ifModRevision(IMAGES + record.digest(), kv.get().modRevision())
                .ifModRevision(REFS + reference, ref.get().modRevision()).delete(REFS + reference);
        if (current.references().isEmpty()) {
            txn.delete(IMAGES + record.digest());
        } else {
            txn.put(IMAGES + record.digest(), RecordCodec.encode(current));
        }
        return store.commitAndWait(txn).succeeded();
    }

    /** Removes the record and every reference to it, if it is unchanged since read. */
    boolean removeImage(ImageRecord record, long modRevision) {
        Txn txn = Txn.create().ifModRevision(IMAGES + record.digest(), modRevision).delete(IMAGES + record.digest());
        for (String reference : record.references()) {
            txn.delete(REFS + reference);
        }
        return store.commitAndWait(txn).succeeded();
    }

    long modRevision(String digest) {
        return store.get(IMAGES + digest).map(KeyValue::modRevision).orElse(0L);
    }

    Optional<String> imageOf(String instanceId) {
        return store.get(USERS + instanceId).map(kv -> new String(kv.value(), StandardCharsets.UTF_8));
    }

    Store store() {
        return store;
    }

    /** A page of records after {@code afterDigest}, in digest order. */
    Page page(String afterDigest, int limit) {
        RangeResult range = store.range(IMAGES, afterDigest.isEmpty() ? "" : IMAGES + afterDigest, limit);
        List<ImageRecord> records = new ArrayList<>();
        range.kvs().forEach(kv -> records.add(RecordCodec.decode(kv.value(), ImageRecord.class)));
        return new Page(records, range.more());
    }

    /** A page of image records. */
    record Page(List<ImageRecord> records, boolean more) {}
}
