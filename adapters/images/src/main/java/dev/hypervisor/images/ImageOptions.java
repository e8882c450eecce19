package dev.hypervisor.images;

import dev.hypervisor.images.unpack.UnpackLimits;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How a node's image store is set up: the registry configuration file (mirrors, insecure
 * registries, credentials), the alias catalog that overrides the shipped one, where qemu-img
 * is, the largest disk image accepted, layer unpack limits, and whether root filesystems are
 * copies instead of overlay mounts.
 */
public record ImageOptions(
        Optional<Path> registryConfig,
        Optional<Path> catalog,
        String qemuImg,
        long maxDiskBytes,
        UnpackLimits unpackLimits,
        boolean copyRootfs) {

    public static ImageOptions defaults() {
        return new ImageOptions(Optional.empty(), Optional.empty(), "qemu-img", 512L << 30, UnpackLimits.defaults(), false);
    }

    public ImageOptions withRegistryConfig(Path file) {
        return new ImageOptions(Optional.of(file), catalog, qemuImg, maxDiskBytes, unpackLimits, copyRootfs);
    }

    public ImageOptions withCatalog(Path file) {
        return new ImageOptions(registryConfig, Optional.of(file), qemuImg, maxDiskBytes, unpackLimits, copyRootfs);
    }
}
