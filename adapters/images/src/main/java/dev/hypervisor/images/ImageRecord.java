package dev.hypervisor.images;

import dev.hypervisor.core.image.ImageInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * An image as stored: what ListImages shows, plus the content it needs (blob digests and,
 * for container images, layer diff ids and chain ids) so that garbage collection knows what
 * to keep. The id is the manifest digest (OCI) or the disk file's digest (URL pulls).
 */
public record ImageRecord(
        String digest,
        ImageInfo.Kind kind,
        List<String> references,
        long sizeBytes,
        Instant createdAt,
        Instant lastUsedAt,
        List<String> usedBy,
        List<String> blobs,
        List<String> diffIds,
        List<String> chainIds,
        String diskBlob,
        String diskFormat) {

    public ImageRecord {
        references = List.copyOf(references);
        usedBy = List.copyOf(usedBy);
        blobs = List.copyOf(blobs);
        diffIds = List.copyOf(diffIds);
        chainIds = List.copyOf(chainIds);
        diskBlob = diskBlob == null ? "" : diskBlob;
        diskFormat = diskFormat == null ? "" : diskFormat;
    }

    public ImageInfo toInfo(String nodeId) {
        return new ImageInfo(digest, references, kind, sizeBytes, createdAt, lastUsedAt, usedBy, nodeId);
    }

    ImageRecord withReference(String reference) {
        LinkedHashSet<String> refs = new LinkedHashSet<>(references);
        refs.add(reference);
        return new ImageRecord(digest, kind, new ArrayList<>(refs), sizeBytes, createdAt, lastUsedAt, usedBy, blobs,
                diffIds, chainIds, diskBlob, diskFormat);
    }

    ImageRecord withoutReference(String reference) {
        List<String> refs = new ArrayList<>(references);
        refs.remove(reference);
        return new ImageRecord(digest, kind, refs, sizeBytes, createdAt, lastUsedAt, usedBy, blobs, diffIds, chainIds,
                diskBlob, diskFormat);
    }

    ImageRecord usedBy(String instanceId, Instant now) {
        LinkedHashSet<String> users = new LinkedHashSet<>(usedBy);
        users.add(instanceId);
        return new ImageRecord(digest, kind, references, sizeBytes, createdAt, now, new ArrayList<>(users), blobs,
                diffIds, chainIds, diskBlob, diskFormat);
    }

    ImageRecord releasedBy(String instanceId) {
        List<String> users = new ArrayList<>(usedBy);
        users.remove(instanceId);
        return new ImageRecord(digest, kind, references, sizeBytes, createdAt, lastUsedAt, users, blobs, diffIds,
                chainIds, diskBlob, diskFormat);
    }
}
