package dev.hypervisor.images.registry;

import java.util.Map;
import java.util.Objects;

/**
 * A content descriptor: what a manifest says about a blob it points at
 * (https://github.com/opencontainers/image-spec/blob/main/descriptor.md); {@code platform} is
 * only set on image index entries and is null elsewhere.
 */
public record Descriptor(String mediaType, String digest, long size, Map<String, String> annotations, Platform platform) {

    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Digests.requireValid(digest, "descriptor");
        if (size < 0) {
            throw new IllegalArgumentException("descriptor " + digest + ": negative size " + size);
        }
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    /** A descriptor without annotations or platform. */
    public static Descriptor of(String mediaType, String digest, long size) {
        return new Descriptor(mediaType, digest, size, Map.of(), null);
    }
}
