package dev.hypervisor.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.image.ImageInfo;
import dev.hypervisor.core.image.PullListener.Phase;
import dev.hypervisor.host.DiskSpace;
import dev.hypervisor.images.content.ContentStore;
import dev.hypervisor.images.disk.ContainerDisk;
import dev.hypervisor.images.disk.UrlDiskPull;
import dev.hypervisor.images.registry.Descriptor;
import dev.hypervisor.images.registry.ImageReference;
import dev.hypervisor.images.registry.RegistryClient;
import dev.hypervisor.images.registry.RegistryException;
import dev.hypervisor.images.registry.ResolvedImage;
import dev.hypervisor.images.snapshot.ChainIds;
import dev.hypervisor.images.snapshot.DiffIdMismatchException;
import dev.hypervisor.images.snapshot.LayerBlob;
import dev.hypervisor.images.snapshot.Snapshotter;
import dev.hypervisor.images.unpack.LayerTooLargeException;
import dev.hypervisor.images.unpack.UnsafeLayerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Pulls an image from a registry: resolves the reference (linux/amd64 from an index), stores
 * manifest and config, downloads each missing layer into the content store (verified, and
 * resumed after a broken connection), then either unpacks the layers once each for
 * container root filesystems, or, for a container disk, copies its disk file out.
 */
final class OciPull {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryClient registry;
    private final ContentStore content;
    private final Snapshotter snapshots;
    private final ContainerDisk containerDisk;
    private final Clock clock;
    private final DiskSpace space;
    private final Object[] downloading = new Object[64]; // locks, striped by blob digest

    OciPull(RegistryClient registry, ContentStore content, Snapshotter snapshots, ContainerDisk containerDisk,
            Clock clock, DiskSpace space) {
        this.registry = registry;
        this.content = content;
        this.snapshots = snapshots;
        this.containerDisk = containerDisk;
        this.clock = clock;
        this.space = space;
        java.util.Arrays.setAll(downloading, i -> new Object());
    }

    ImageRecord pull(ImageReference reference, PullProgress progress) {
        progress.phase(Phase.RESOLVING, "resolving " + reference);
        ResolvedImage image = registry.resolve(reference);
        store(image.manifestDigest(), image.manifestBytes());
        store(image.config().digest(), image.configBytes());
        List<String> diffIds = diffIds(image);
        long total = 0;
        long missing = 0;
        for (Descriptor layer : image.layers()) {
            boolean stored = content.has(layer.digest());
            progress.blob(layer.digest(), layer.size(), stored);
            total += layer.size();
            missing += stored ? 0 : layer.size();
        }
        // Unpacked layers take more again; at least the downloads must fit.
        space.requireRoom(missing, "pulling " + image.reference() + " (" + image.layers().size() + " layers)");
        progress.phase(Phase.DOWNLOADING, "downloading " + image.layers().size() + " layers, " + total + " bytes");
        List<LayerBlob> blobs = new ArrayList<>();
        for (int i = 0; i < image.layers().size(); i++) {
            Descriptor layer = image.layers().get(i);
            download(image.reference(), layer, progress);
            blobs.add(new LayerBlob(content.path(layer.digest()), diffIds.get(i)));
        }
        progress.phase(Phase.VERIFYING, "verified " + image.layers().size() + " layers");
        List<String> allBlobs = new ArrayList<>(List.of(image.manifestDigest(), image.config().digest()));
        image.layers().forEach(l -> allBlobs.add(l.digest()));
        var now = clock.instant();
        if (!blobs.isEmpty()) {
            Optional<UrlDiskPull.StoredDisk> disk = containerDisk.extract(blobs.get(blobs.size() - 1).blobFile());
            if (disk.isPresent()) {
                allBlobs.add(disk.get().digest());
                return new ImageRecord(image.manifestDigest(), ImageInfo.Kind.DISK, List.of(), total + disk.get().sizeBytes(),
                        now, now, List.of(), allBlobs, diffIds, List.of(), disk.get().digest(), disk.get().format());
            }
        }
        progress.phase(Phase.UNPACKING, "unpacking " + blobs.size() + " layers");
        try {
            snapshots.prepareLayers(blobs);
        } catch (UnsafeLayerException | LayerTooLargeException | DiffIdMismatchException e) {
            // The image itself is at fault: say so, rather than blame the node.
            throw new DomainException(ErrorCode.FAILED_PRECONDITION,
                    "image " + image.reference() + " cannot be unpacked: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("unpacking " + image.reference() + ": " + e.getMessage(), e);
        }
        return new ImageRecord(image.manifestDigest(), ImageInfo.Kind.CONTAINER, List.of(), total, now, now, List.of(),
                allBlobs, diffIds, ChainIds.of(diffIds), "", "");
    }

    /** One download per blob at a time: two images that share a layer would otherwise write one partial file. */
    private void download(ImageReference reference, Descriptor layer, PullProgress progress) {
        synchronized (downloading[Math.floorMod(layer.digest().hashCode(), downloading.length)]) {
            downloadOnce(reference, layer, progress);
        }
    }

    private void downloadOnce(ImageReference reference, Descriptor layer, PullProgress progress) {
        if (content.has(layer.digest())) {
            progress.reset(layer.digest(), layer.size());
            return;
        }
        Path partial = content.partial(layer.digest());
        // The download itself reports what it resumes from (BlobDownload counts a partial's bytes once).
        progress.reset(layer.digest(), 0);
        try {
            registry.fetchBlob(reference, layer, partial, delta -> progress.advance(layer.digest(), delta));
        } catch (RuntimeException e) {
            // A failed pull leaves nothing behind: a partial blob could fill the disk and outlive the daemon.
            content.deletePartial(layer.digest());
            space.shortage().ifPresent(full -> {
                throw new DomainException(ErrorCode.RESOURCE_EXHAUSTED, "pulling " + reference + ": " + full, e);
            });
            throw e;
        }
        content.commit(partial, layer.digest());
    }

    private void store(String digest, byte[] bytes) {
        if (content.has(digest)) {
            return;
        }
        Path temp = content.temporary("meta-");
        try {
            Files.write(temp, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        content.commit(temp, digest);
    }

    private static List<String> diffIds(ResolvedImage image) {
        try {
            JsonNode ids = JSON.readTree(image.configBytes()).path("rootfs").path("diff_ids");
            List<String> diffIds = new ArrayList<>();
            ids.forEach(id -> diffIds.add(ContentStore.checkDigest(id.asText())));
            if (diffIds.size() != image.layers().size()) {
                throw new RegistryException(RegistryException.Kind.PROTOCOL, image.reference() + ": config lists "
                        + diffIds.size() + " diff ids for " + image.layers().size() + " layers");
            }
            return diffIds;
        } catch (IOException | IllegalArgumentException e) {
            throw new RegistryException(RegistryException.Kind.PROTOCOL,
                    image.reference() + ": unreadable image config: " + e.getMessage());
        }
    }
}
