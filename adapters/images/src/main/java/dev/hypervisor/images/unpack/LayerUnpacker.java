package dev.hypervisor.images.unpack;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * Applies one OCI image layer (a tar, plain, gzip or zstd) onto a directory without ever writing
 * outside it.
 *
 * <p>Safety: entry names are cleaned and confined; no symlink is followed while extracting (an
 * entry below a symlink is refused, an existing symlink at an entry's own path is replaced);
 * relative symlinks and hard links that point out of the target are refused; device nodes and
 * FIFOs are skipped; {@code trusted.overlay.*} xattrs from the layer are dropped. An unsafe entry
 * fails the whole unpack with {@link UnsafeLayerException} rather than being skipped, because a
 * layer that tries to escape cannot be trusted for the rest of its content; what was written so
 * far stays and the caller deletes it (unpack into a fresh directory, then rename).
 *
 * <p>Thread-safe: it keeps no state between calls.
 */
public final class LayerUnpacker {

    /** How whiteouts are recorded. */
    public enum Mode {
        /** Onto a directory that already holds the lower layers: whiteouts delete. */
        MERGED,
        /**
         * Into an empty directory of its own, an overlayfs lowerdir: whiteouts become 0:0
         * character devices and opaque directories get {@code trusted.overlay.opaque=y}.
         */
        OVERLAY_DIFF
    }

    private static final byte[] GZIP_MAGIC = {0x1f, (byte) 0x8b};
    private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd};

    private final UnpackLimits limits;

    public LayerUnpacker(UnpackLimits limits) {
        this.limits = limits;
    }

    /** Unpacks the layer blob at {@code blob} onto the existing directory {@code target}. */
    public UnpackResult unpack(Path blob, Path target, Mode mode) throws IOException {
        try (InputStream in = Files.newInputStream(blob)) {
            return unpack(in, target, mode);
        }
    }

    /** Unpacks a layer read from {@code blob}, which is left open. */
    public UnpackResult unpack(InputStream blob, Path target, Mode mode) throws IOException {
        if (!Files.isDirectory(target)) {
            throw new NotDirectoryException(target.toString());
        }
        TargetTree tree = new TargetTree(target.toRealPath());
        // The compression is read from the magic bytes: media types are often wrong in the wild.
        BufferedInputStream raw = new BufferedInputStream(new FilterInputStream(blob) {
            @Override
            public void close() {
                // the caller owns the blob stream
            }
        }, 64 * 1024);
        try (InputStream tarStream = decompress(raw)) {
            MeasuredInputStream measured = new MeasuredInputStream(tarStream, limits.maxBytes());
            try {
                return apply(new XattrTarInputStream(measured), measured, new LayerApplier(tree, mode));
            } catch (IOException e) {
                // commons-compress may wrap the limit failure in its own IOException
                if (measured.exceeded() && !(e instanceof LayerTooLargeException)) {
                    throw new LayerTooLargeException(MeasuredInputStream.tooLarge(limits.maxBytes()).getMessage(), e);
                }
                throw e;
            }
        }
    }

    private UnpackResult apply(XattrTarInputStream tar, MeasuredInputStream measured, LayerApplier applier)
            throws IOException {
        long entries = 0;
        for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
            if (++entries > limits.maxEntries()) {
                throw new LayerTooLargeException("layer exceeds the limit of " + limits.maxEntries() + " entries");
            }
            applier.apply(entry, tar, tar.xattrs());
        }
        applier.finish();
        measured.drain();
        return new UnpackResult(entries, measured.count(), measured.diffId());
    }

    private static InputStream decompress(BufferedInputStream raw) throws IOException {
        raw.mark(ZSTD_MAGIC.length);
        byte[] magic = raw.readNBytes(ZSTD_MAGIC.length);
        raw.reset();
        if (startsWith(magic, GZIP_MAGIC)) {
            // decompressConcatenated: a gzip stream may be several members back to back
            return new GzipCompressorInputStream(raw, true);
        }
        if (startsWith(magic, ZSTD_MAGIC)) {
            return new ZstdCompressorInputStream(raw);
        }
        return raw;
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }
}
