package dev.hypervisor.core.watch;

import dev.hypervisor.core.instance.InstanceFilter;
import java.time.Duration;

/**
 * What a watcher wants: one instance ({@code instanceId}) or all that match the filter,
 * changes after {@code afterRevision} (0: from now), optionally the current state first.
 */
public record WatchRequest(
        String instanceId, InstanceFilter filter, long afterRevision, boolean sendInitial, Duration bookmarkInterval) {}
