package dev.hypervisor.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.image.ContainerConfig;
import dev.hypervisor.core.image.ImageInfo;
import dev.hypervisor.core.image.RootFilesystems;
import dev.hypervisor.images.content.ContentStore;
import dev.hypervisor.images.snapshot.LayerBlob;
import dev.hypervisor.images.snapshot.Snapshotter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Container images as a runtime sees them: the image config's run defaults, and writable
 * root filesystems made by the snapshotter over the image's shared layers.
 */
final class ImageRootFilesystems implements RootFilesystems {

    private static final ObjectMapper JSON = new ObjectMapper();
    // OciPull stores an image's blobs as manifest, config, then the layers bottom first.
    private static final int CONFIG_BLOB = 1;
    private static final int FIRST_LAYER_BLOB = 2;

    private final ImageRecords records;
    private final ContentStore content;
    private final Snapshotter snapshots;

    ImageRootFilesystems(ImageRecords records, ContentStore content, Snapshotter snapshots) {
        this.records = records;
        this.content = content;
        this.snapshots = snapshots;
    }

    @Override
    public ContainerConfig config(String imageDigest) {
        ImageRecord record = containerImage(imageDigest);
        try {
            JsonNode config = JSON.readTree(Files.readAllBytes(content.path(record.blobs().get(CONFIG_BLOB))))
                    .path("config");
            return new ContainerConfig(strings(config.path("Entrypoint")), strings(config.path("Cmd")),
                    strings(config.path("Env")), config.path("WorkingDir").asText(""), config.path("User").asText(""),
                    config.path("StopSignal").asText(""));
        } catch (IOException e) {
            throw new UncheckedIOException("reading the config of image " + imageDigest + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Path create(String key, String imageDigest) {
        ImageRecord record = containerImage(imageDigest);
        List<LayerBlob> layers = new ArrayList<>();
        for (int i = 0; i < record.diffIds().size(); i++) {
            layers.add(new LayerBlob(content.path(record.blobs().get(FIRST_LAYER_BLOB + i)), record.diffIds().get(i)));
        }
        try {
            return snapshots.create(key, layers).path();
        } catch (IOException e) {
            throw new UncheckedIOException("root filesystem " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void remove(String key) {
        try {
            snapshots.remove(key);
        } catch (IOException e) {
            throw new UncheckedIOException("removing root filesystem " + key + ": " + e.getMessage(), e);
        }
    }

    private ImageRecord containerImage(String digest) {
        ImageRecord record = records.find(digest).orElseThrow(() -> DomainException.notFound("image " + digest));
        if (record.kind() != ImageInfo.Kind.CONTAINER) {
            throw DomainException.failedPrecondition(
                    "image " + digest + " is a " + record.kind().name().toLowerCase() + " image, not a container image");
        }
        return record;
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(node.asText()));
        return values;
    }
}
