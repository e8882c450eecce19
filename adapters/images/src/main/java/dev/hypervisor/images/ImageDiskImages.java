package dev.hypervisor.images;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.image.DiskImages;
import dev.hypervisor.core.image.ImageInfo;
import dev.hypervisor.images.content.ContentStore;
import java.nio.file.Path;

/** Disk images as a VM runtime sees them: the stored disk blob, used read-only as a backing file. */
record ImageDiskImages(ImageRecords records, ContentStore content) implements DiskImages {

    @Override
    public Path baseDisk(String imageDigest) {
        return content.path(diskImage(imageDigest).diskBlob());
    }

    @Override
    public String format(String imageDigest) {
        return diskImage(imageDigest).diskFormat();
    }

    private ImageRecord diskImage(String digest) {
        ImageRecord record = records.find(digest).orElseThrow(() -> DomainException.notFound("image " + digest));
        if (record.kind() != ImageInfo.Kind.DISK || record.diskBlob().isEmpty()) {
            throw DomainException.failedPrecondition(
                    "image " + digest + " is a " + record.kind().name().toLowerCase() + " image, not a disk image");
        }
        return record;
    }
}
