package dev.hypervisor.core.instance;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;

/**
 * An instance as stored: what the API reported (state, ip, error) and the intent the
 * reconciler works toward ({@code desired}, {@code forceStop}, {@code stopTimeoutSeconds}).
 * {@code attempts} and {@code lastError} tell of the step under way: how many times it failed
 * in a way worth retrying, and how it last failed; a new state or intent starts them over.
 * {@code revision} is the store revision this version was read at; it is not stored.
 */
public record Instance(
        String id,
        String name,
        InstanceType type,
        InstanceState state,
        InstanceSpec spec,
        String nodeId,
        String ipAddress,
        Metadata metadata,
        String errorMessage,
        Instant createdAt,
        Instant updatedAt,
        Placement placement,
        DesiredState desired,
        InstanceState previousState,
        String reason,
        int stopTimeoutSeconds,
        boolean forceStop,
        int attempts,
        String lastError,
        @JsonIgnore long revision) {

    public Instance {
        lastError = lastError == null ? "" : lastError; // records stored before retries were
    }

    /** A new instance in CREATING that should end up running. */
    public static Instance newInstance(
            String id, String name, InstanceType type, InstanceSpec spec, Metadata metadata,
            Placement placement, String nodeId, Instant now) {
        return new Instance(id, name, type, InstanceState.CREATING, spec, nodeId, "", metadata, "",
                now, now, placement, DesiredState.RUNNING, null, "created", 0, false, 0, "", 0);
    }

    /** True once deletion was requested; the record goes away when the reconciler is done. */
    @JsonIgnore
    public boolean deleting() {
        return desired == DesiredState.DELETED;
    }

    public Instance withRevision(long newRevision) {
        return new Instance(id, name, type, state, spec, nodeId, ipAddress, metadata, errorMessage,
                createdAt, updatedAt, placement, desired, previousState, reason, stopTimeoutSeconds,
                forceStop, attempts, lastError, newRevision);
    }

    public Instance withIpAddress(String ip) {
        return new Instance(id, name, type, state, spec, nodeId, ip, metadata, errorMessage,
                createdAt, updatedAt, placement, desired, state, reason, stopTimeoutSeconds,
                forceStop, attempts, lastError, revision);
    }

    /** The same instance, its step under way having failed once more in a way worth retrying. */
    public Instance withFailedAttempt(String error, Instant now) {
        return new Instance(id, name, type, state, spec, nodeId, ipAddress, metadata, errorMessage,
                createdAt, now, placement, desired, state, reason, stopTimeoutSeconds, forceStop, attempts + 1,
                error, revision);
    }

    /** The same instance in {@code next} state; only {@link Lifecycle} calls this. */
    Instance moveTo(InstanceState next, String why, String error, Instant now) {
        return new Instance(id, name, type, next, spec, nodeId, ipAddress, metadata, error,
                createdAt, now, placement, desired, state, why, stopTimeoutSeconds, forceStop, 0, "", revision);
    }

    /**
     * The same instance with a new intent and the state unchanged, so that the change's
     * previous state is the current one; only {@link Lifecycle} calls this.
     */
    Instance withIntent(DesiredState wanted, boolean force, int timeoutSeconds, Instant now) {
        return new Instance(id, name, type, state, spec, nodeId, ipAddress, metadata, errorMessage,
                createdAt, now, placement, wanted, state, reason, timeoutSeconds, force, 0, "", revision);
    }
}
