package dev.hypervisor.images.testing;

import dev.hypervisor.images.registry.Descriptor;
import dev.hypervisor.images.registry.Platform;
import java.nio.file.Path;
import java.util.List;

/** An image written into an OCI layout by {@link OciImageBuilder}: what a registry client should get back after a push. */
public record BuiltImage(
        Path layoutDir, String tag, Platform platform, Descriptor manifest, byte[] manifestBytes, Descriptor config,
        byte[] configBytes, List<BuiltLayer> layers) {

    /** Pushes it with skopeo to {@code destination} ({@code host/repository:tag}), keeping the OCI manifest and its digest. */
    public void push(String destination) {
        Skopeo.copy(layoutDir, tag, destination, false, Skopeo.Format.OCI);
    }

    /** Pushes it with skopeo converted to {@code format}; {@link Skopeo.Format#V2S2} changes manifest and config digests. */
    public void push(String destination, Skopeo.Format format) {
        Skopeo.copy(layoutDir, tag, destination, false, format);
    }

    /** The layer descriptors in order, as a resolved manifest lists them. */
    public List<Descriptor> layerDescriptors() {
        return layers.stream().map(BuiltLayer::descriptor).toList();
    }
}
