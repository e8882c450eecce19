package dev.hypervisor.core.usecase;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.Lifecycle;
import dev.hypervisor.core.store.Txn;
import java.time.Clock;
import java.time.Instant;
import java.util.function.BiFunction;

/**
 * Start, Stop, Restart and Delete: each records a new intent through {@link Lifecycle} with a
 * compare-and-swap on the instance's revision and returns; the reconciler carries it out.
 */
public record ChangeInstance(InstanceRepository repository, RequestLog requests, Clock clock) {

    static final int MAX_TIMEOUT_SECONDS = 3600;

    public Instance start(String instanceId, String requestId, String fingerprint) {
        return change(instanceId, requestId, fingerprint, Lifecycle::start);
    }

    public Instance stop(String instanceId, boolean force, int timeoutSeconds, String requestId, String fingerprint) {
        checkTimeout(timeoutSeconds);
        return change(instanceId, requestId, fingerprint, (i, now) -> Lifecycle.stop(i, force, timeoutSeconds, now));
    }

    public Instance restart(String instanceId, boolean force, int timeoutSeconds, String requestId, String fingerprint) {
        checkTimeout(timeoutSeconds);
        return change(instanceId, requestId, fingerprint, (i, now) -> Lifecycle.restart(i, force, timeoutSeconds, now));
    }

    /** Records the deletion; the instance stays visible until the reconciler has released it. */
    public void delete(String instanceId, boolean force, String requestId, String fingerprint) {
        change(instanceId, requestId, fingerprint, (i, now) -> Lifecycle.delete(i, force, now));
    }

    private Instance change(String instanceId, String requestId, String fingerprint,
            BiFunction<Instance, Instant, Instance> request) {
        requireId(instanceId);
        return requests.execute(requestId, fingerprint, round -> {
            Instance current = repository.get(instanceId);
            Instance next = request.apply(current, clock.instant());
            if (next == current) {
                return Planned.unchanged(current);
            }
            Txn txn = Txn.create();
            repository.update(txn, current, next);
            return new Planned(txn, next);
        });
    }

    static void requireId(String instanceId) {
        if (instanceId == null || instanceId.isEmpty()) {
            throw DomainException.invalidArgument("instance_id", "required");
        }
        if (instanceId.length() > 128) {
            throw DomainException.invalidArgument("instance_id", "at most 128 characters");
        }
    }

    private static void checkTimeout(int timeoutSeconds) {
        if (timeoutSeconds < 0 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
            throw DomainException.invalidArgument("timeout_seconds",
                    "must be between 0 (the runtime's default) and " + MAX_TIMEOUT_SECONDS + ", got " + timeoutSeconds);
        }
    }
}
