package dev.hypervisor.core.watch;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceState;
import java.time.Instant;

/** One change seen by a watcher; a BOOKMARK carries no instance, only the revision reached. */
public record InstanceEvent(
        Type type, Instance instance, InstanceState previousState, long revision, Instant time, String reason) {

    public enum Type { CREATED, UPDATED, DELETED, INITIAL, BOOKMARK }

    static InstanceEvent bookmark(long revision, Instant now) {
        return new InstanceEvent(Type.BOOKMARK, null, null, revision, now, "");
    }
}
