package dev.hypervisor.core.reconcile;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.Provisioned;
import dev.hypervisor.core.driver.Resettable;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
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

    /** What to record after a step: nothing, the next version, the instance gone, or a failed attempt to try again. */
    record Outcome(Kind kind, Instance next) {
        enum Kind { NOTHING, SAVE, REMOVE, RETRY }

        static final Outcome NOTHING = new Outcome(Kind.NOTHING, null);

        static Outcome save(Instance next) {
            return new Outcome(Kind.SAVE, next);
        }

        /** The step failed for good: ERROR with the message (a deletion is never given up: it is retried). */
        static Outcome failed(Instance instance, String message, Instant now) {
            if (instance.deleting()) {
                return retry(instance, message, now);
            }
            if (!Lifecycle.allowed(instance.state(), InstanceState.ERROR)) {
                return NOTHING;
            }
            return save(Lifecycle.transition(instance, InstanceState.ERROR, message, now));
        }

        /** The step failed in a way worth trying again: the same state, one attempt more, the error kept. */
        static Outcome retry(Instance instance, String message, Instant now) {
            return new Outcome(Kind.RETRY, instance.withFailedAttempt(message, now));
        }
    }

    /** Whether the instance's state and intent call for driver work (else the step reads and records only). */
    static boolean hasWork(Instance instance) {
        return instance.deleting() || switch (instance.state()) {
            case CREATING, STARTING, STOPPING, RESTARTING -> true;
            case RUNNING, STOPPED, ERROR, DELETED -> false;
        };
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
            // A registry down for now is worth another attempt; an image that does not exist is not.
            throw new DriverException("image " + instance.spec().image() + ": " + e.getMessage(), e,
                    e.code() == ErrorCode.UNAVAILABLE);
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
