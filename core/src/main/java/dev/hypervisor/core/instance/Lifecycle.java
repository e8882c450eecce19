package dev.hypervisor.core.instance;

import static dev.hypervisor.core.instance.InstanceState.CREATING;
import static dev.hypervisor.core.instance.InstanceState.DELETED;
import static dev.hypervisor.core.instance.InstanceState.ERROR;
import static dev.hypervisor.core.instance.InstanceState.RESTARTING;
import static dev.hypervisor.core.instance.InstanceState.RUNNING;
import static dev.hypervisor.core.instance.InstanceState.STARTING;
import static dev.hypervisor.core.instance.InstanceState.STOPPED;
import static dev.hypervisor.core.instance.InstanceState.STOPPING;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The instance state machine, enforced in this one place: which observed transitions are
 * legal, and what each API request (start, stop, restart, delete) does in each state.
 *
 * <p>A request that changes nothing returns the very same object, so callers can tell a
 * no-op repeat (Start on RUNNING) from a change by identity.
 */
public final class Lifecycle {

    private static final Map<InstanceState, Set<InstanceState>> EDGES = new EnumMap<>(InstanceState.class);

    static {
        EDGES.put(CREATING, EnumSet.of(STARTING, STOPPING, STOPPED, ERROR));
        EDGES.put(STARTING, EnumSet.of(RUNNING, STOPPING, STOPPED, ERROR));
        EDGES.put(RUNNING, EnumSet.of(STOPPING, RESTARTING, STOPPED, ERROR));
        EDGES.put(STOPPING, EnumSet.of(STOPPED, ERROR));
        EDGES.put(STOPPED, EnumSet.of(STARTING, STOPPING, ERROR));
        EDGES.put(RESTARTING, EnumSet.of(RUNNING, STOPPING, STOPPED, ERROR));
        EDGES.put(ERROR, EnumSet.of(STARTING, STOPPING, STOPPED));
        EDGES.put(DELETED, EnumSet.noneOf(InstanceState.class));
    }

    private Lifecycle() {}

    /** Whether the machine allows {@code from -> to}; any state may become DELETED except DELETED. */
    public static boolean allowed(InstanceState from, InstanceState to) {
        if (to == DELETED) {
            return from != DELETED;
        }
        return EDGES.get(from).contains(to);
    }

    /**
     * An observed transition (the runtime reports progress, an exit, a failure).
     *
     * @throws DomainException INTERNAL when the machine forbids it: a bug in the caller
     */
    public static Instance transition(Instance instance, InstanceState next, String reason, Instant now) {
        return transition(instance, next, reason, next == ERROR ? reason : "", now);
    }

    /** As {@link #transition(Instance, InstanceState, String, Instant)} with an explicit error message. */
    public static Instance transition(
            Instance instance, InstanceState next, String reason, String errorMessage, Instant now) {
        if (!allowed(instance.state(), next)) {
            throw new DomainException(ErrorCode.INTERNAL,
                    "illegal transition " + instance.state() + " -> " + next + " for " + instance.id());
        }
        return instance.moveTo(next, reason, errorMessage, now);
    }

    /**
     * The main process ended on its own while RUNNING: exit code 0 is STOPPED, anything else
     * ERROR with the reason; either way the instance should now stay stopped.
     */
    public static Instance exited(Instance instance, int exitCode, String reason, Instant now) {
        Instance stopped = instance.withIntent(DesiredState.STOPPED, false, 0, now);
        return exitCode == 0 && reason.isEmpty()
                ? transition(stopped, STOPPED, "exited with code 0", now)
                : transition(stopped, ERROR, reason.isEmpty() ? "exited with code " + exitCode : reason, now);
    }

    /** StartInstance: STOPPED or ERROR begin starting; already running or starting is a no-op. */
    public static Instance start(Instance instance, Instant now) {
        rejectWhenDeleting(instance, "started");
        return switch (instance.state()) {
            case RUNNING, STARTING, RESTARTING -> instance;
            case CREATING -> instance.desired() == DesiredState.RUNNING
                    ? instance
                    : instance.withIntent(DesiredState.RUNNING, false, 0, now);
            case STOPPED, ERROR -> instance.withIntent(DesiredState.RUNNING, false, 0, now)
                    .moveTo(STARTING, "start requested", "", now);
            case STOPPING -> throw wrongState(instance, "started; wait until it is STOPPED");
            case DELETED -> throw wrongState(instance, "started");
        };
    }

    /**
     * StopInstance: RUNNING (or ERROR) begins a graceful stop; STOPPED is a no-op. An
     * operation in flight (STARTING, RESTARTING, CREATING) can only be stopped with force,
     * and force upgrades a graceful stop already under way.
     */
    public static Instance stop(Instance instance, boolean force, int timeoutSeconds, Instant now) {
        if (instance.deleting()) {
            return upgradeToForce(instance, force, now);
        }
        return switch (instance.state()) {
            case STOPPED -> instance;
            case STOPPING -> upgradeToForce(instance, force, now);
            case RUNNING, ERROR -> beginStop(instance, DesiredState.STOPPED, force, timeoutSeconds,
                    force ? "forced stop requested" : "stop requested", now);
            case STARTING, RESTARTING, CREATING -> {
                if (!force) {
                    throw wrongState(instance, "stopped gracefully while an operation is in flight;"
                            + " retry when it is RUNNING, or use force");
                }
                yield beginStop(instance, DesiredState.STOPPED, true, timeoutSeconds,
                        "forced stop requested", now);
            }
            case DELETED -> throw wrongState(instance, "stopped");
        };
    }

    /** RestartInstance: only a RUNNING instance restarts; a restart under way is a no-op. */
    public static Instance restart(Instance instance, boolean force, int timeoutSeconds, Instant now) {
        rejectWhenDeleting(instance, "restarted");
        return switch (instance.state()) {
            case RESTARTING -> upgradeToForce(instance, force, now);
            case RUNNING -> instance.withIntent(DesiredState.RUNNING, force, timeoutSeconds, now)
                    .moveTo(RESTARTING, force ? "forced restart requested" : "restart requested", "", now);
            default -> throw wrongState(instance, "restarted; only a RUNNING instance can be");
        };
    }

    /**
     * DeleteInstance: records the intent; an instance that may be running begins stopping
     * first. Repeating it is a no-op, except that force upgrades a graceful stop.
     */
    public static Instance delete(Instance instance, boolean force, Instant now) {
        if (instance.deleting()) {
            return upgradeToForce(instance, force, now);
        }
        return switch (instance.state()) {
            case STOPPED, ERROR -> instance.withIntent(DesiredState.DELETED, force, 0, now);
            case STOPPING -> instance.withIntent(DesiredState.DELETED, force || instance.forceStop(),
                    instance.stopTimeoutSeconds(), now);
            case CREATING, STARTING, RUNNING, RESTARTING -> beginStop(instance, DesiredState.DELETED, force,
                    0, force ? "forced delete requested" : "delete requested", now);
            case DELETED -> throw wrongState(instance, "deleted again");
        };
    }

    private static Instance beginStop(
            Instance instance, DesiredState wanted, boolean force, int timeoutSeconds, String why, Instant now) {
        return instance.withIntent(wanted, force, timeoutSeconds, now).moveTo(STOPPING, why, "", now);
    }

    private static Instance upgradeToForce(Instance instance, boolean force, Instant now) {
        if (!force || instance.forceStop()) {
            return instance;
        }
        return instance.withIntent(instance.desired(), true, instance.stopTimeoutSeconds(), now);
    }

    private static void rejectWhenDeleting(Instance instance, String verb) {
        if (instance.deleting()) {
            throw DomainException.failedPrecondition(
                    "instance " + instance.id() + " is being deleted and cannot be " + verb);
        }
    }

    private static DomainException wrongState(Instance instance, String verb) {
        return DomainException.failedPrecondition(
                "instance " + instance.id() + " is " + instance.state() + " and cannot be " + verb);
    }
}
