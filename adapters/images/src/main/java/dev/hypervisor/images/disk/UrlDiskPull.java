package dev.hypervisor.images.disk;

import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.host.DiskSpace;
import dev.hypervisor.images.content.ContentStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/**
 * A VM disk image from an http(s) URL: downloaded (resumable), checked against the expected
 * digest when one is given (the digest of the file as served, as checksum lists give it),
 * decompressed when it is xz or gzip, checked with qemu-img, and stored by the digest of
 * the final disk.
 */
public final class UrlDiskPull {

    /** The stored disk: its digest (the image id), format and sizes. */
    public record StoredDisk(String digest, String format, long sizeBytes, long virtualSize) {}

    /** Progress callbacks of a download. */
    public interface Progress {
        void size(long totalBytes);

        void advance(long delta);

        void unpacking();
    }

    private final ContentStore content;
    private final UrlDownloader downloader;
    private final DiskInspector inspector;
    private final long maxBytes;
    private final DiskSpace space;

    public UrlDiskPull(ContentStore content, UrlDownloader downloader, DiskInspector inspector, long maxBytes,
            DiskSpace space) {
        this.content = content;
        this.downloader = downloader;
        this.inspector = inspector;
        this.maxBytes = maxBytes;
        this.space = space;
    }

    public StoredDisk pull(URI url, String expectedDigest, Progress progress) {
        if (!url.getScheme().equals("http") && !url.getScheme().equals("https")) {
            throw new DiskImageException("only http and https URLs are supported: " + url);
        }
        String key = keyOf(url);
        Path partial = content.partial(key);
        LongConsumer advance = progress::advance;
        UrlDownloader.SizeListener announced = total -> {
            if (total > 0) {
                space.requireRoom(total - sizeOf(partial), "pulling " + url);
            }
            progress.size(total);
        };
        try {
            downloader.download(url, partial, announced, advance, maxBytes);
        } catch (RuntimeException e) {
            // A failed pull leaves nothing behind: a partial download could fill the disk and outlive the daemon.
            content.deletePartial(key);
            space.shortage().ifPresent(full -> {
                throw new DiskImageException(ErrorCode.RESOURCE_EXHAUSTED, "pulling " + url + ": " + full);
            });
            throw e;
        }
        try {
            String served = ContentStore.sha256(partial);
            if (!expectedDigest.isEmpty() && !expectedDigest.equals(served)) {
                Files.deleteIfExists(partial);
                throw new DiskImageException("digest mismatch for " + url + ": expected " + expectedDigest
                        + ", got " + served);
            }
            Path disk = partial;
            String compression = Decompression.detect(partial);
            if (!compression.isEmpty()) {
                progress.unpacking();
                disk = content.temporary("disk-");
                try {
                    Decompression.decompress(partial, compression, disk, maxBytes);
                } catch (IOException | RuntimeException e) {
                    Files.deleteIfExists(disk);
                    Files.deleteIfExists(partial);
                    throw e instanceof DiskImageException d ? d
                            : new DiskImageException("cannot decompress " + url + " (" + compression + "): " + e.getMessage());
                }
                Files.deleteIfExists(partial);
            }
            DiskInspector.DiskInfo info;
            try {
                info = inspector.inspect(disk);
            } catch (DiskImageException e) {
                Files.deleteIfExists(disk);
                throw e;
            }
            long size = Files.size(disk);
            String digest = content.commitUnknown(disk);
            return new StoredDisk(digest, info.format(), size, info.virtualSize());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** A stable content-store key for a URL's partial download, so a broken connection resumes it. */
    static String keyOf(URI url) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(url.toString().getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
