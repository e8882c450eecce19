package dev.hypervisor.core.image;

import java.time.Instant;
import java.util.List;

/** An image stored on this node. */
public record ImageInfo(
        String digest, List<String> references, Kind kind, long sizeBytes, Instant createdAt,
        Instant lastUsedAt, List<String> usedBy, String nodeId) {

    public enum Kind { CONTAINER, DISK, KERNEL }

    /**
     * This image when it is of {@code kind}; otherwise a DriverException (the instance's error)
     * saying that {@code needs}, e.g. "a VM needs a disk image". {@code reference} is as the user gave it.
     */
    public ImageInfo require(Kind wanted, String reference, String needs) {
        if (kind != wanted) {
            throw new dev.hypervisor.core.driver.DriverException("image " + reference + " is a "
                    + kind.name().toLowerCase(java.util.Locale.ROOT) + " image; " + needs);
        }
        return this;
    }
}
