package dev.hypervisor.testkit.images;

import java.nio.file.Path;
import java.util.List;

/** A multi-platform image written by {@link OciImageBuilder#writeIndexTo}: the index and each platform's image. */
public record BuiltIndex(Path layoutDir, String tag, Blob index, byte[] indexBytes, List<BuiltImage> images) {

    /** Pushes the index and every platform's image ({@code skopeo copy --all}) to {@code host/repository:tag}. */
    public void push(String destination) {
        Skopeo.copy(layoutDir, tag, destination, true, Skopeo.Format.OCI,
                images.stream().mapToLong(BuiltImage::compressedBytes).sum());
    }

    /** The image built for {@code architecture}. */
    public BuiltImage image(String architecture) {
        return images.stream().filter(i -> i.architecture().equals(architecture)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no " + architecture + " image in " + images));
    }
}
