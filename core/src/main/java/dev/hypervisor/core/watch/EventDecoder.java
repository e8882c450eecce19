package dev.hypervisor.core.watch;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.store.WatchEvent;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns store changes into instance events once, however many watchers see them: every
 * watcher of a change gets the same decoded event from a small cache keyed by key and
 * revision, so a change costs one JSON decode, not one per watcher.
 */
final class EventDecoder {

    private static final int CAPACITY = 4096;

    private final Clock clock;
    private final InstanceRepository repository;
    private final Map<Change, InstanceEvent> recent = new LinkedHashMap<>(CAPACITY, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Change, InstanceEvent> eldest) {
            return size() > CAPACITY;
        }
    };

    EventDecoder(InstanceRepository repository, Clock clock) {
        this.repository = repository;
        this.clock = clock;
    }

    /** The instance event of a store change, or null for keys that are not instance records. */
    InstanceEvent decode(WatchEvent event) {
        if (!event.key().startsWith(InstanceRepository.INSTANCES)) {
            return null;
        }
        // A record key, not a concatenated string: this runs once per watcher per change, and
        // the key's String hash is already cached, so a lookup allocates one small object.
        Change cacheKey = new Change(event.type(), event.revision(), event.key());
        synchronized (recent) {
            InstanceEvent cached = recent.get(cacheKey);
            if (cached != null) {
                return cached;
            }
        }
        InstanceEvent decoded = convert(repository.decode(event), event, clock.instant());
        synchronized (recent) {
            recent.put(cacheKey, decoded);
        }
        return decoded;
    }

    private record Change(WatchEvent.Type type, long revision, String key) {}

    private static InstanceEvent convert(Instance stored, WatchEvent event, Instant now) {
        if (event.type() == WatchEvent.Type.DELETE) {
            Instance gone = new Instance(stored.id(), stored.name(), stored.type(), InstanceState.DELETED,
                    stored.spec(), stored.nodeId(), stored.ipAddress(), stored.metadata(), stored.errorMessage(),
                    stored.createdAt(), now, stored.placement(), stored.desired(), stored.state(), "deleted",
                    stored.stopTimeoutSeconds(), stored.forceStop(), stored.attempts(), stored.lastError(), event.revision());
            return new InstanceEvent(InstanceEvent.Type.DELETED, gone, stored.state(), event.revision(), now, "deleted");
        }
        boolean created = stored.previousState() == null && stored.state() == InstanceState.CREATING;
        return new InstanceEvent(created ? InstanceEvent.Type.CREATED : InstanceEvent.Type.UPDATED, stored,
                stored.previousState(), event.revision(), now, stored.reason());
    }
}
