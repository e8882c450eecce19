package dev.hypervisor.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Converts an instance event to its wire form, serialized, once for all the watchers that
 * receive it (keyed by type, revision and instance), so a change fanned out to a thousand
 * streams is built and encoded once. Bookmarks are per stream and not cached.
 */
final class WireEvents {

    private static final int CAPACITY = 4096;

    private final Map<Key, EncodedEvent> recent = new LinkedHashMap<>(CAPACITY, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, EncodedEvent> eldest) {
            return size() > CAPACITY;
        }
    };

    EncodedEvent toWire(dev.hypervisor.core.watch.InstanceEvent event) {
        if (event.instance() == null) {
            return EncodedEvent.of(ApiMapper.toProto(event));
        }
        // A record key, not a concatenated string: this runs once per watcher per event.
        Key key = new Key(event.type(), event.revision(), event.instance().id());
        synchronized (recent) {
            EncodedEvent cached = recent.get(key);
            if (cached != null) {
                return cached;
            }
        }
        EncodedEvent wire = EncodedEvent.of(ApiMapper.toProto(event));
        synchronized (recent) {
            recent.put(key, wire);
        }
        return wire;
    }

    private record Key(dev.hypervisor.core.watch.InstanceEvent.Type type, long revision, String instanceId) {}
}
