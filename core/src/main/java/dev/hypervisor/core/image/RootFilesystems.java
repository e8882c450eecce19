package dev.hypervisor.core.image;

import java.nio.file.Path;

/**
 * What a container runtime needs of a stored container image: its run defaults and writable
 * root filesystems over its layers. Implemented by the images adapter beside {@link ImageStore}.
 */
public interface RootFilesystems {

    /** The run defaults of the container image with this digest; NOT_FOUND when it is not stored. */
    ContainerConfig config(String imageDigest);

    /**
     * Creates (or finds, re-mounting after a host reboot) the writable root filesystem
     * {@code key} over the image's layers and returns the directory to use as the root.
     */
    Path create(String key, String imageDigest);

    /** Unmounts and deletes the root filesystem {@code key} with everything written to it. Idempotent. */
    void remove(String key);
}
