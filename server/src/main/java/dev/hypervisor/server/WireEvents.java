package dev.hypervisor.server;

import dev.hypervisor.api.v1.InstanceEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Converts an instance event to its wire form once for all the watchers that receive it
 * (keyed by type, revision and instance), so a change fanned out to a thousand streams is
 * built once. Bookmarks are per stream and not cached.
 */
final class WireEvents {

    private static final int CAPACITY = 4096;

    private final Map<String, InstanceEvent> recent = new LinkedHashMap<>(CAPACITY, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, InstanceEvent> eldest) {
            return size() > CAPACITY;
        }
    };

    InstanceEvent toWire(dev.hypervisor.core.watch.InstanceEvent event) {
        if (event.instance() == null) {
            return ApiMapper.toProto(event);
        }
        String key = event.type().name() + event.revision() + event.instance().id();
        synchronized (recent) {
            InstanceEvent cached = recent.get(key);
            if (cached != null) {
                return cached;
            }
        }
        InstanceEvent wire = ApiMapper.toProto(event);
        synchronized (recent) {
            recent.put(key, wire);
        }
        return wire;
    }
}
