package dev.hypervisor.images.snapshot;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One layer of an image as stored: its blob file (compressed or not) and the DiffID the image
 * config lists for it in {@code rootfs.diff_ids}.
 */
public record LayerBlob(Path blobFile, String diffId) {

    public LayerBlob {
        Objects.requireNonNull(blobFile, "blobFile");
        ChainIds.requireDiffId(diffId);
    }
}
