package dev.hypervisor.images;

import dev.hypervisor.images.unpack.UnpackLimits;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How a node's image store is set up: the registry configuration file (mirrors, insecure
 * registries, credentials), the alias catalog that overrides the shipped one, where qemu-img
 * is, the largest disk image accepted, layer unpack limits, whether root filesystems are
 * copies instead of overlay mounts, whether disk URLs on loopback and link-local
 * addresses may be pulled (not by default: they are the node's own services), and the free
 * space a pull must leave in the store's directory.
 */
public record ImageOptions(
        Optional<Path> registryConfig,
        Optional<Path> catalog,
        String qemuImg,
        long maxDiskBytes,
        UnpackLimits unpackLimits,
        boolean copyRootfs,
        boolean allowLocalUrls,
        long minFreeBytes) {

    public static ImageOptions defaults() {
        return new ImageOptions(Optional.empty(), Optional.empty(), "qemu-img", 512L << 30, UnpackLimits.defaults(), false,
                false, 0);
    }

    public ImageOptions withRegistryConfig(Path file) {
        return new ImageOptions(Optional.of(file), catalog, qemuImg, maxDiskBytes, unpackLimits, copyRootfs, allowLocalUrls, minFreeBytes);
    }

    public ImageOptions withCatalog(Path file) {
        return new ImageOptions(registryConfig, Optional.of(file), qemuImg, maxDiskBytes, unpackLimits, copyRootfs,
                allowLocalUrls, minFreeBytes);
    }

    /** Disk URLs on loopback and link-local addresses may be pulled (tests, a mirror on the node itself). */
    public ImageOptions withLocalUrlsAllowed() {
        return new ImageOptions(registryConfig, catalog, qemuImg, maxDiskBytes, unpackLimits, copyRootfs, true,
                minFreeBytes);
    }

    /** Pulls that would leave less than this free in the store's directory are refused before they start. */
    public ImageOptions withMinFreeBytes(long bytes) {
        return new ImageOptions(registryConfig, catalog, qemuImg, maxDiskBytes, unpackLimits, copyRootfs, allowLocalUrls,
                bytes);
    }
}
