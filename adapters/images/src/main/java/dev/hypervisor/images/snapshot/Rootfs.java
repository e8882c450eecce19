package dev.hypervisor.images.snapshot;

import java.nio.file.Path;

/**
 * The writable root filesystem of one instance.
 *
 * @param path the directory to use as the container root
 * @param overlay true for an overlay mount over shared layers, false for a private copy
 */
public record Rootfs(Path path, boolean overlay) {}
