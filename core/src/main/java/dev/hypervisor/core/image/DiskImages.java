package dev.hypervisor.core.image;

import java.nio.file.Path;

/**
 * What a VM runtime needs of a stored disk image: the file to lay its boot disk's overlay on,
 * and that file's format. Implemented by the images adapter beside {@link ImageStore}.
 */
public interface DiskImages {

    /**
     * The base disk of the disk image with this digest, to be opened read-only as a backing
     * file; NOT_FOUND when it is not stored, FAILED_PRECONDITION when it is no disk image.
     */
    Path baseDisk(String imageDigest);

    /** The format of {@link #baseDisk} as qemu-img names it ({@code qcow2} or {@code raw}). */
    String format(String imageDigest);
}
