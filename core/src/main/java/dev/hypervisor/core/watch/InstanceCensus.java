package dev.hypervisor.core.watch;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceFilter;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchEvent;
import java.util.EnumMap;
import java.util.Map;

/**
 * Counts instances by type and state for the metrics endpoint: one scan at start, then kept
 * current from the store's watch (each change names its previous state), so a scrape costs
 * nothing however many instances are stored.
 */
public final class InstanceCensus implements AutoCloseable {

    private final Map<InstanceType, long[]> counts = new EnumMap<>(InstanceType.class);
    private final Watch watch;

    public InstanceCensus(InstanceRepository repository) {
        for (InstanceType type : InstanceType.values()) {
            counts.put(type, new long[InstanceState.values().length]);
        }
        long revision = repository.store().revision();
        String after = "";
        do {
            InstanceRepository.Page page = repository.list(InstanceFilter.ALL, after, 1000);
            page.instances().forEach(i -> add(i.type(), i.state(), 1));
            after = page.nextAfterId();
        } while (!after.isEmpty());
        watch = repository.store().watch(InstanceRepository.INSTANCES, revision, events -> {
            for (WatchEvent event : events) {
                Instance instance = repository.decode(event);
                if (event.type() == WatchEvent.Type.DELETE) {
                    add(instance.type(), instance.state(), -1);
                } else if (instance.previousState() == null && instance.state() == InstanceState.CREATING) {
                    add(instance.type(), instance.state(), 1);
                } else {
                    add(instance.type(), instance.previousState(), -1);
                    add(instance.type(), instance.state(), 1);
                }
            }
        });
    }

    private synchronized void add(InstanceType type, InstanceState state, int delta) {
        if (state != null) {
            counts.get(type)[state.ordinal()] += delta;
        }
    }

    public synchronized long count(InstanceType type, InstanceState state) {
        return counts.get(type)[state.ordinal()];
    }

    @Override
    public void close() {
        watch.close();
    }
}
