package dev.hypervisor.core.instance;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.RecordCodec;
import dev.hypervisor.core.store.RangeResult;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.WatchEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Maps instances onto the revisioned key-value store, etcd style: the record under
 * {@code /instances/ID}, a name reservation under {@code /names/NAME} (unique among live
 * instances by a create-only compare), and empty index keys per state, type, node and label
 * so that a filtered page reads only the keys it returns, whatever the total.
 */
public final class InstanceRepository {

    public static final String INSTANCES = "/instances/";
    static final String NAMES = "/names/";
    static final String INDEX = "/idx/";
    private static final byte[] EMPTY = new byte[0];

    private static final int DECODED_CAPACITY = 4096;

    private final Store store;
    /** Recently decoded changes: the reconciler, the census and every watcher share one decode per change. */
    private final Map<String, Instance> decoded = new java.util.LinkedHashMap<>(DECODED_CAPACITY, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Instance> eldest) {
            return size() > DECODED_CAPACITY;
        }
    };

    public InstanceRepository(Store store) {
        this.store = store;
    }

    /**
     * The instance a watched change carries (for a delete, its last version), decoded once
     * however many consumers see the change. Callers must not assume a fresh object.
     */
    public Instance decode(WatchEvent event) {
        return decodeShared(event.key(), event.value(), event.revision());
    }

    /**
     * Decodes through the shared cache: the reconciler re-reads a record right after its
     * watch decoded that very revision, so the read usually costs no second decode.
     */
    private Instance decodeShared(String key, byte[] value, long revision) {
        String cacheKey = revision + key;
        synchronized (decoded) {
            Instance cached = decoded.get(cacheKey);
            if (cached != null) {
                return cached;
            }
        }
        Instance instance = decode(value, revision);
        synchronized (decoded) {
            decoded.put(cacheKey, instance);
        }
        return instance;
    }

    public Store store() {
        return store;
    }

    public static String key(String id) {
        return INSTANCES + id;
    }

    public static String idOf(String key) {
        return key.substring(INSTANCES.length());
    }

    public Optional<Instance> find(String id) {
        return store.get(key(id)).map(kv -> decodeShared(kv.key(), kv.value(), kv.modRevision()));
    }

    /** The instance, or NOT_FOUND. */
    public Instance get(String id) {
        return find(id).orElseThrow(() -> DomainException.notFound("instance " + id));
    }

    public static Instance decode(KeyValue kv) {
        return decode(kv.value(), kv.modRevision());
    }

    public static Instance decode(byte[] value, long revision) {
        return RecordCodec.decode(value, Instance.class).withRevision(revision);
    }

    /** Adds the creation of {@code instance} to the transaction; fails on a taken id or name. */
    public void create(Txn txn, Instance instance) {
        txn.ifAbsent(key(instance.id())).ifAbsent(NAMES + instance.name())
                .put(key(instance.id()), RecordCodec.encode(instance))
                .put(NAMES + instance.name(), instance.id().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (String index : indexKeys(instance)) {
            txn.put(index, EMPTY);
        }
    }

    /** Adds an update of {@code before} (as read) to {@code after}; fails if it changed meanwhile. */
    public void update(Txn txn, Instance before, Instance after) {
        txn.ifModRevision(key(before.id()), before.revision())
                .put(key(after.id()), RecordCodec.encode(after));
        List<String> old = indexKeys(before);
        List<String> now = indexKeys(after);
        old.stream().filter(k -> !now.contains(k)).forEach(txn::delete);
        now.stream().filter(k -> !old.contains(k)).forEach(k -> txn.put(k, EMPTY));
    }

    /** Adds the removal of the record, its name reservation and its index keys. */
    public void remove(Txn txn, Instance before) {
        txn.ifModRevision(key(before.id()), before.revision()).delete(key(before.id())).delete(NAMES + before.name());
        indexKeys(before).forEach(txn::delete);
    }

    /** Whether a live instance holds the name. */
    public boolean nameTaken(String name) {
        return store.get(NAMES + name).isPresent();
    }

    /**
     * One page of instances matching the filter with an id greater than {@code afterId}.
     * Walks the most selective index; filters it cannot answer are checked per record, so a
     * page may hold fewer than {@code limit} results while {@code more} is still true.
     */
    public Page list(InstanceFilter filter, String afterId, int limit) {
        String prefix = indexPrefix(filter);
        if (prefix.equals(INSTANCES)) {
            RangeResult range = store.range(INSTANCES, afterId.isEmpty() ? "" : key(afterId), limit);
            List<Instance> found = range.kvs().stream().map(InstanceRepository::decode).toList();
            String last = found.isEmpty() ? afterId : found.get(found.size() - 1).id();
            return new Page(found, range.more() ? last : "");
        }
        List<Instance> found = new ArrayList<>();
        String cursor = afterId;
        boolean more = true;
        // Bounded: a selective secondary filter returns a short page rather than scanning on.
        for (int round = 0; round < 4 && found.size() < limit && more; round++) {
            RangeResult ids = store.range(prefix, cursor.isEmpty() ? "" : prefix + cursor, limit - found.size());
            more = ids.more();
            if (ids.kvs().isEmpty()) {
                break;
            }
            List<String> keys = ids.kvs().stream().map(kv -> key(kv.key().substring(prefix.length()))).toList();
            cursor = ids.kvs().get(ids.kvs().size() - 1).key().substring(prefix.length());
            for (KeyValue kv : store.getAll(keys)) {
                Instance instance = decode(kv);
                if (filter.matches(instance)) {
                    found.add(instance);
                }
            }
        }
        return new Page(found, more ? cursor : "");
    }

    /** A page of instances; {@code nextAfterId} is empty on the last page. */
    public record Page(List<Instance> instances, String nextAfterId) {}

    private static String indexPrefix(InstanceFilter filter) {
        if (!filter.labels().isEmpty()) {
            Map.Entry<String, String> first = filter.labels().entrySet().iterator().next();
            return INDEX + "label/" + first.getKey() + "=" + first.getValue() + "/";
        }
        if (filter.state() != null) {
            return INDEX + "state/" + filter.state() + "/";
        }
        if (filter.type() != null) {
            return INDEX + "type/" + filter.type() + "/";
        }
        if (!filter.nodeId().isEmpty()) {
            return INDEX + "node/" + filter.nodeId() + "/";
        }
        return INSTANCES;
    }

    private static List<String> indexKeys(Instance instance) {
        TreeSet<String> keys = new TreeSet<>();
        keys.add(INDEX + "state/" + instance.state() + "/" + instance.id());
        keys.add(INDEX + "type/" + instance.type() + "/" + instance.id());
        keys.add(INDEX + "node/" + instance.nodeId() + "/" + instance.id());
        instance.metadata().labels().forEach((k, v) -> keys.add(INDEX + "label/" + k + "=" + v + "/" + instance.id()));
        return new ArrayList<>(keys);
    }
}
