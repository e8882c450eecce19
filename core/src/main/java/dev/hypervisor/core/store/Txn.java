package dev.hypervisor.core.store;

import java.util.ArrayList;
import java.util.List;

/** Comparisons and the operations applied when all of them hold: etcd's Txn without an else branch. */
public final class Txn {

    /** The key's mod revision must equal {@code modRevision}; 0 means the key must not exist. */
    public record Compare(String key, long modRevision) {}

    /** A write inside a transaction. */
    public sealed interface Op permits Put, Delete {
        String key();
    }

    public record Put(String key, byte[] value) implements Op {}

    public record Delete(String key) implements Op {}

    private final List<Compare> compares = new ArrayList<>();
    private final List<Op> ops = new ArrayList<>();

    public static Txn create() {
        return new Txn();
    }

    /** Requires the key to be at {@code modRevision} (0: absent). */
    public Txn ifModRevision(String key, long modRevision) {
        compares.add(new Compare(key, modRevision));
        return this;
    }

    /** Requires the key to be absent. */
    public Txn ifAbsent(String key) {
        return ifModRevision(key, 0);
    }

    public Txn put(String key, byte[] value) {
        ops.add(new Put(key, value));
        return this;
    }

    public Txn delete(String key) {
        ops.add(new Delete(key));
        return this;
    }

    public List<Compare> compares() {
        return List.copyOf(compares);
    }

    public List<Op> ops() {
        return List.copyOf(ops);
    }
}
