package dev.hypervisor.testkit.images;

import java.nio.file.Path;
import java.util.List;

/** An image written into an OCI layout by {@link OciImageBuilder}: what a registry client should get back after a push. */
public record BuiltImage(
        Path layoutDir, String tag, String architecture, Blob manifest, byte[] manifestBytes, Blob config,
        byte[] configBytes, List<BuiltLayer> layers) {

    /** Pushes it with skopeo to {@code destination} ({@code host/repository:tag}), keeping the OCI manifest and its digest. */
    public void push(String destination) {
        push(destination, Skopeo.Format.OCI);
    }

    /** Pushes it with skopeo converted to {@code format}; {@link Skopeo.Format#V2S2} changes manifest and config digests. */
    public void push(String destination, Skopeo.Format format) {
        Skopeo.copy(layoutDir, tag, destination, false, format, compressedBytes());
    }

    /** The layer descriptors in order, as a resolved manifest lists them. */
    public List<Blob> layerDescriptors() {
        return layers.stream().map(BuiltLayer::descriptor).toList();
    }

    /** Manifest, config and layers: what a pull downloads. */
    public long compressedBytes() {
        return manifest.size() + config.size() + layers.stream().mapToLong(l -> l.descriptor().size()).sum();
    }
}
