package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.RangeResult;
import dev.hypervisor.core.store.Store;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Nothing half made in a daemon's store, whichever store it is: what crash and fault tests check after the fact. */
final class StoreConsistency {

    private StoreConsistency() {}

    /**
     * Every record has its name key and index keys; every name and index key points at a
     * record. Returns how many records there are, so that a caller can tell an empty store.
     */
    static int assertConsistent(Store store) {
        Map<String, dev.hypervisor.core.instance.Instance> records = new HashMap<>();
        for (KeyValue kv : all(store, InstanceRepository.INSTANCES)) {
            var instance = InstanceRepository.decode(kv);
            records.put(instance.id(), instance);
        }
        Set<String> names = new HashSet<>();
        for (KeyValue kv : all(store, "/names/")) {
            String id = new String(kv.value(), StandardCharsets.UTF_8);
            assertThat(records).as("name " + kv.key() + " points at a record").containsKey(id);
            assertThat(records.get(id).name()).isEqualTo(kv.key().substring("/names/".length()));
            names.add(id);
        }
        assertThat(names).isEqualTo(records.keySet());
        Set<String> stateIndexed = new HashSet<>();
        for (KeyValue kv : all(store, "/idx/state/")) {
            String[] parts = kv.key().split("/");
            String id = parts[parts.length - 1];
            assertThat(records).containsKey(id);
            assertThat(records.get(id).state().name()).isEqualTo(parts[3]);
            assertThat(stateIndexed.add(id)).as("one state index key per instance").isTrue();
        }
        assertThat(stateIndexed).isEqualTo(records.keySet());
        return records.size();
    }

    private static List<KeyValue> all(Store store, String prefix) {
        List<KeyValue> out = new ArrayList<>();
        String after = "";
        while (true) {
            RangeResult page = store.range(prefix, after, 500);
            out.addAll(page.kvs());
            if (!page.more() || page.kvs().isEmpty()) {
                return out;
            }
            after = page.kvs().get(page.kvs().size() - 1).key();
        }
    }
}
