package dev.hypervisor.core.image;

import java.time.Instant;
import java.util.List;

/** An image stored on this node. */
public record ImageInfo(
        String digest, List<String> references, Kind kind, long sizeBytes, Instant createdAt,
        Instant lastUsedAt, List<String> usedBy, String nodeId) {

    public enum Kind { CONTAINER, DISK, KERNEL }
}
