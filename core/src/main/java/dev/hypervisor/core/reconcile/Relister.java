package dev.hypervisor.core.reconcile;

import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceFilter;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.runtime.RuntimeRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks at every RUNNING instance of this node and asks its runtime what runs, as kubelet's
 * PLEG relists: an exit that no event reported (a process that vanished while nobody watched)
 * is handed on. When it last finished is the daemon's health: stale means stuck.
 */
final class Relister {

    private static final Logger LOG = LoggerFactory.getLogger(Relister.class);
    private static final int PAGE = 500;

    private final InstanceRepository repository;
    private final RuntimeRegistry runtimes;
    private final Clock clock;
    private final BiConsumer<Instance, RuntimeStatus> gone;
    private volatile Instant last;

    /** {@code gone}: told of each RUNNING instance whose runtime says it no longer runs. */
    Relister(InstanceRepository repository, RuntimeRegistry runtimes, Clock clock, BiConsumer<Instance, RuntimeStatus> gone) {
        this.repository = repository;
        this.runtimes = runtimes;
        this.clock = clock;
        this.gone = gone;
        this.last = clock.instant();
    }

    Instant last() {
        return last;
    }

    void relist() {
        try {
            forEach(new InstanceFilter(null, InstanceState.RUNNING, runtimes.nodeId(), Map.of()), instance ->
                    runtimes.driverFor(instance).ifPresent(driver -> {
                        RuntimeStatus status = driver.inspect(instance);
                        if (!status.running()) {
                            gone.accept(instance, status.phase() == RuntimeStatus.Phase.ABSENT
                                    ? RuntimeStatus.exited(-1, "its process is gone") : status);
                        }
                    }));
            last = clock.instant();
        } catch (RuntimeException e) {
            LOG.warn("relist failed: {}", e.toString());
        }
    }

    /** Every instance of this node that {@code filter} matches, a page at a time. */
    void forEach(InstanceFilter filter, Consumer<Instance> action) {
        String after = "";
        do {
            InstanceRepository.Page page = repository.list(filter, after, PAGE);
            page.instances().forEach(action);
            after = page.nextAfterId();
        } while (!after.isEmpty());
    }
}
