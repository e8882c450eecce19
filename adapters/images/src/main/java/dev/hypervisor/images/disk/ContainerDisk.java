package dev.hypervisor.images.disk;

import dev.hypervisor.images.content.ContentStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;

/**
 * A VM disk carried in an OCI image, as KubeVirt's container disks do: a layer holding one
 * regular file {@code disk/NAME.qcow2} or {@code disk/NAME.img}. The file is copied out of
 * the layer into the content store; nothing else in the layer is written anywhere.
 */
public record ContainerDisk(ContentStore content, DiskInspector inspector, long maxBytes) {

    /** Whether a tar entry name is a container disk's disk file. */
    static boolean isDiskEntry(String name) {
        String n = name.startsWith("./") ? name.substring(2) : name.startsWith("/") ? name.substring(1) : name;
        return n.startsWith("disk/") && n.indexOf('/', 5) < 0 && (n.endsWith(".qcow2") || n.endsWith(".img"));
    }

    /** The disk file of the layer, stored and inspected, or empty when the layer carries none. */
    public Optional<UrlDiskPull.StoredDisk> extract(Path layerBlob) {
        Path target = content.temporary("containerdisk-");
        try (TarArchiveInputStream tar = new TarArchiveInputStream(decompressed(layerBlob))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null;) {
                if (!entry.isFile() || !isDiskEntry(entry.getName())) {
                    continue;
                }
                if (entry.getSize() > maxBytes) {
                    throw new DiskImageException("container disk " + entry.getName() + " exceeds " + maxBytes + " bytes");
                }
                try (OutputStream out = Files.newOutputStream(target)) {
                    tar.transferTo(out);
                }
                DiskInspector.DiskInfo info = inspector.inspect(target);
                long size = Files.size(target);
                String digest = content.commitUnknown(target);
                return Optional.of(new UrlDiskPull.StoredDisk(digest, info.format(), size, info.virtualSize()));
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(target);
            } catch (IOException ignored) {
                // the temporary area is swept at start-up
            }
        }
    }

    private static InputStream decompressed(Path blob) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(blob), 1 << 16);
        try {
            return new CompressorStreamFactory().createCompressorInputStream(in);
        } catch (CompressorException notCompressed) {
            return in; // a plain tar
        }
    }
}
