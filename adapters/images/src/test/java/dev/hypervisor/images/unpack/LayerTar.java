package dev.hypervisor.images.unpack;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;

/** Builds layer tars for tests, entry by entry, including the hostile ones no real tool writes. */
public final class LayerTar {

    /** How the written blob is compressed. */
    public enum Compression { NONE, GZIP, ZSTD }

    public static final FileTime DEFAULT_MTIME = FileTime.from(Instant.parse("2021-03-04T05:06:07Z"));

    private interface Step {
        void write(TarArchiveOutputStream tar) throws IOException;
    }

    private final List<Step> steps = new ArrayList<>();

    public LayerTar dir(String name) {
        return dir(name, 0755);
    }

    public LayerTar dir(String name, int mode) {
        return dir(name, mode, e -> {});
    }

    public LayerTar dir(String name, int mode, Consumer<TarArchiveEntry> customize) {
        return entry(name, TarConstants.LF_DIR, mode, customize, null, 0);
    }

    public LayerTar file(String name, String content) {
        return file(name, content, 0644);
    }

    public LayerTar file(String name, String content, int mode) {
        return file(name, content, mode, e -> {});
    }

    public LayerTar file(String name, String content, int mode, Consumer<TarArchiveEntry> customize) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        return entry(name, TarConstants.LF_NORMAL, mode, customize, () -> new ByteArrayInputStream(bytes),
                bytes.length);
    }

    public LayerTar symlink(String name, String target) {
        return entry(name, TarConstants.LF_SYMLINK, 0777, e -> e.setLinkName(target), null, 0);
    }

    public LayerTar hardLink(String name, String target) {
        return entry(name, TarConstants.LF_LINK, 0644, e -> e.setLinkName(target), null, 0);
    }

    /** The whiteout that hides {@code path} of lower layers. */
    public LayerTar whiteout(String path) {
        int slash = path.lastIndexOf('/');
        String name = slash < 0 ? ".wh." + path : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
        return entry(name, TarConstants.LF_NORMAL, 0644, e -> {}, null, 0);
    }

    /** The marker that makes {@code dir} opaque; "" for the layer root. */
    public LayerTar opaque(String dir) {
        String name = dir.isEmpty() ? ".wh..wh..opq" : dir + "/.wh..wh..opq";
        return entry(name, TarConstants.LF_NORMAL, 0644, e -> {}, null, 0);
    }

    public LayerTar charDevice(String name, int major, int minor) {
        return entry(name, TarConstants.LF_CHR, 0666, e -> device(e, major, minor), null, 0);
    }

    public LayerTar blockDevice(String name, int major, int minor) {
        return entry(name, TarConstants.LF_BLK, 0660, e -> device(e, major, minor), null, 0);
    }

    public LayerTar fifo(String name) {
        return entry(name, TarConstants.LF_FIFO, 0644, e -> {}, null, 0);
    }

    /**
     * A PAX extended header written byte for byte, applying to the next entry: values stay
     * binary, as Go's archive/tar writes them and commons-compress cannot.
     */
    public LayerTar rawPax(Map<String, byte[]> records) {
        Map<String, byte[]> copy = new LinkedHashMap<>(records);
        steps.add(tar -> {
            byte[] body = paxBody(copy);
            TarArchiveEntry header = new TarArchiveEntry("./PaxHeaders/x", TarConstants.LF_PAX_EXTENDED_HEADER_LC);
            header.setSize(body.length);
            tar.putArchiveEntry(header);
            tar.write(body);
            tar.closeArchiveEntry();
        });
        return this;
    }

    public byte[] tar() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            writeTo(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Writes the layer to {@code file}, compressed as asked; returns {@code file}. */
    public Path write(Path file, Compression compression) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            switch (compression) {
                case NONE -> writeTo(out);
                case GZIP -> {
                    try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(out)) {
                        writeTo(gz);
                    }
                }
                case ZSTD -> {
                    try (ZstdCompressorOutputStream zstd = new ZstdCompressorOutputStream(out)) {
                        writeTo(zstd);
                    }
                }
            }
        }
        return file;
    }

    /** Writes the plain tar to {@code out}, which stays open. */
    public void writeTo(OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        for (Step step : steps) {
            step.write(tar);
        }
        tar.finish();
        tar.flush();
    }

    private LayerTar entry(String name, byte type, int mode, Consumer<TarArchiveEntry> customize,
            Supplier<InputStream> data, long size) {
        steps.add(tar -> {
            // preserveAbsolutePath: hostile names must reach the tar exactly as given
            TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
            entry.setMode(mode);
            entry.setSize(size);
            entry.setLastModifiedTime(DEFAULT_MTIME);
            customize.accept(entry);
            tar.putArchiveEntry(entry);
            if (data != null) {
                try (InputStream in = data.get()) {
                    in.transferTo(tar);
                }
            }
            tar.closeArchiveEntry();
        });
        return this;
    }

    private static void device(TarArchiveEntry entry, int major, int minor) {
        entry.setDevMajor(major);
        entry.setDevMinor(minor);
    }

    private static byte[] paxBody(Map<String, byte[]> records) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> record : records.entrySet()) {
            byte[] key = record.getKey().getBytes(StandardCharsets.UTF_8);
            int base = 1 + key.length + 1 + record.getValue().length + 1; // ' ' key '=' value '\n'
            int length = base + 1;
            while (length != base + String.valueOf(length).length()) {
                length = base + String.valueOf(length).length();
            }
            body.writeBytes((length + " ").getBytes(StandardCharsets.US_ASCII));
            body.writeBytes(key);
            body.write('=');
            body.writeBytes(record.getValue());
            body.write('\n');
        }
        return body.toByteArray();
    }
}
