package dev.hypervisor.images.registry;

import java.util.List;
import java.util.Objects;

/**
 * A reference resolved to one platform's image manifest: its digest and exact bytes, its config
 * (already fetched and verified) and its layers in order, bottom first.
 *
 * <p>{@code manifestDigest} is the digest of the image manifest itself, also when the reference
 * named an index: that manifest is what the layers and config belong to.
 */
public record ResolvedImage(
        ImageReference reference, String manifestDigest, String manifestMediaType, byte[] manifestBytes,
        Descriptor config, byte[] configBytes, List<Descriptor> layers) {

    public ResolvedImage {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        Objects.requireNonNull(manifestMediaType, "manifestMediaType");
        Objects.requireNonNull(manifestBytes, "manifestBytes");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(configBytes, "configBytes");
        layers = List.copyOf(layers);
    }

    /** The sum of the layers' compressed sizes: what a pull downloads besides config and manifest. */
    public long layersSize() {
        return layers.stream().mapToLong(Descriptor::size).sum();
    }
}
