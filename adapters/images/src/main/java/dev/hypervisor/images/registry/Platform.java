package dev.hypervisor.images.registry;

import java.util.Objects;

/**
 * The platform an image manifest is built for, as an image index lists it
 * (https://github.com/opencontainers/image-spec/blob/main/image-index.md); {@code variant} may be null.
 */
public record Platform(String os, String architecture, String variant) {

    public Platform {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(architecture, "architecture");
    }

    /** The platform this daemon runs its images on. */
    public static Platform linuxAmd64() {
        return new Platform("linux", "amd64", null);
    }

    /** Whether an index entry for {@code other} can run here; the variant is ignored on purpose (amd64 has none in practice). */
    public boolean matches(Platform other) {
        return other != null && os.equals(other.os) && architecture.equals(other.architecture);
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null || variant.isEmpty() ? "" : "/" + variant);
    }
}
