package dev.hypervisor.core.instance;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;

/**
 * An instance as stored: what the API reported (state, ip, error) and the intent the
 * reconciler works toward ({@code desired}, {@code forceStop}, {@code stopTimeoutSeconds}).
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
        @JsonIgnore long revision) {

    /** A new instance in CREATING that should end up running. */
    public static Instance newInstance(
            String id, String name, InstanceType type, InstanceSpec spec, Metadata metadata,
            Placement placement, String nodeId, Instant now) {
        return new Instance(id, name, type, InstanceState.CREATING, spec, nodeId, "", metadata, "",
                now, now, placement, DesiredState.RUNNING, null, "created", 0, false, 0);
    }

    /** True once deletion was requested; the record goes away when the reconciler is done. */
    @JsonIgnore
    public boolean deleting() {
        return desired == DesiredState.DELETED;
    }

    public Instance withRevision(long newRevision) {
        return new Instance(id, name, type, state, spec, nodeId, ipAddress, metadata, errorMessage,
                createdAt, updatedAt, placement, desired, previousState, reason, stopTimeoutSeconds,
                forceStop, newRevision);
    }

    public Instance withIpAddress(String ip) {
        return new Instance(id, name, type, state, spec, nodeId, ip, metadata, errorMessage,
                createdAt, updatedAt, placement, desired, state, reason, stopTimeoutSeconds,
                forceStop, revision);
    }

    /** The same instance in {@code next} state; only {@link Lifecycle} calls this. */
    Instance moveTo(InstanceState next, String why, String error, Instant now) {
        return new Instance(id, name, type, next, spec, nodeId, ipAddress, metadata, error,
                createdAt, now, placement, desired, state, why, stopTimeoutSeconds, forceStop, revision);
    }

    /**
     * The same instance with a new intent and the state unchanged, so that the change's
     * previous state is the current one; only {@link Lifecycle} calls this.
     */
    Instance withIntent(DesiredState wanted, boolean force, int timeoutSeconds, Instant now) {
        return new Instance(id, name, type, state, spec, nodeId, ipAddress, metadata, errorMessage,
                createdAt, now, placement, wanted, state, reason, timeoutSeconds, force, revision);
    }
}
