package dev.hypervisor.core.reconcile;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.Provisioned;
import dev.hypervisor.core.driver.Resettable;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.image.PullListener;
import dev.hypervisor.core.instance.DesiredState;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.instance.Lifecycle;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The one step an instance's state and intent call for, carried out with its driver: the
 * plan of the reconciler. Every step is idempotent (drivers check the real world first), so
 * running it again after a crash repairs whatever was half done. A forced restart resets in
 * place where the driver is {@link Resettable} (a VM's reset button) and kills and starts
 * elsewhere; a reset repeated after a crash only reboots the guest once more.
 */
final class Step {

    /** What to record after a step. */
    record Outcome(Kind kind, Instance next) {
        enum Kind { NOTHING, SAVE, REMOVE }

        static final Outcome NOTHING = new Outcome(Kind.NOTHING, null);

        static Outcome save(Instance next) {
            return new Outcome(Kind.SAVE, next);
        }

        static Outcome failed(Instance instance, String message, Instant now) {
            if (instance.deleting() || !Lifecycle.allowed(instance.state(), InstanceState.ERROR)) {
                // Deletion must not get stuck on a runtime failure: the next round retries it.
                return NOTHING;
            }
            return save(Lifecycle.transition(instance, InstanceState.ERROR, message, now));
        }
    }

    private final Clock clock;
    private final Optional<ImageStore> images;

    Step(Clock clock, Optional<ImageStore> images) {
        this.clock = clock;
        this.images = images;
    }

    /** The step, with {@code defaultStop} the runtime's graceful stop timeout for stops that name none. */
    Outcome run(Instance instance, Driver driver, Duration defaultStop) {
        if (instance.deleting()) {
            if (instance.state() != InstanceState.STOPPED && instance.state() != InstanceState.ERROR) {
                halt(instance, driver, defaultStop);
            }
            driver.destroy(instance);
            images.ifPresent(store -> store.release(instance.id()));
            return new Outcome(Outcome.Kind.REMOVE, instance);
        }
        return switch (instance.state()) {
            case CREATING -> {
                acquireImage(instance);
                Provisioned provisioned = driver.prepare(instance);
                Instance ready = instance.withIpAddress(provisioned.ipAddress());
                yield Outcome.save(instance.desired() == DesiredState.RUNNING
                        ? Lifecycle.transition(ready, InstanceState.STARTING, "provisioned", now())
                        : Lifecycle.transition(ready, InstanceState.STOPPED, "provisioned", now()));
            }
            case STARTING -> {
                acquireImage(instance); // a no-op when held; needed after a failed pull left it in ERROR
                Provisioned provisioned = driver.prepare(instance);
                driver.start(instance);
                Instance started = provisioned.ipAddress().isEmpty() ? instance : instance.withIpAddress(provisioned.ipAddress());
                yield Outcome.save(Lifecycle.transition(started, InstanceState.RUNNING, "started", now()));
            }
            case STOPPING -> {
                halt(instance, driver, defaultStop);
                yield Outcome.save(Lifecycle.transition(instance, InstanceState.STOPPED,
                        instance.forceStop() ? "killed" : "stopped", now()));
            }
            case RESTARTING -> {
                if (instance.forceStop() && driver instanceof Resettable resettable && resettable.reset(instance)) {
                    yield Outcome.save(Lifecycle.transition(instance, InstanceState.RUNNING, "reset", now()));
                }
                halt(instance, driver, defaultStop);
                driver.start(instance);
                yield Outcome.save(Lifecycle.transition(instance, InstanceState.RUNNING, "restarted", now()));
            }
            case RUNNING, STOPPED, ERROR, DELETED -> Outcome.NOTHING;
        };
    }

    /** Pulls the instance's image when it is missing (implicitly, while CREATING) and marks it in use. */
    private void acquireImage(Instance instance) {
        if (images.isEmpty()) {
            return;
        }
        try {
            images.get().acquire(instance.spec().image(), instance.id(), PullListener.NONE);
        } catch (DomainException e) {
            throw new DriverException("image " + instance.spec().image() + ": " + e.getMessage(), e);
        }
    }

    /** Graceful stop with the instance's timeout, or a kill when force was asked for. */
    private static void halt(Instance instance, Driver driver, Duration defaultStop) {
        if (instance.forceStop()) {
            driver.kill(instance);
        } else {
            driver.stop(instance, instance.stopTimeoutSeconds() > 0
                    ? Duration.ofSeconds(instance.stopTimeoutSeconds()) : defaultStop);
        }
    }

    private Instant now() {
        return clock.instant();
    }
}
