package dev.hypervisor.images.disk;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Unpacks a downloaded disk image compressed with xz or gzip (told by its magic bytes, not
 * its name) into a plain file, stopping at a size limit so a small download cannot fill the
 * disk.
 */
final class Decompression {

    private Decompression() {}

    /** Whether the file starts with the xz or gzip magic. */
    static String detect(Path file) throws IOException {
        byte[] head = new byte[6];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, head.length);
            if (n >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X'
                    && head[4] == 'Z' && head[5] == 0) {
                return "xz";
            }
            if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
                return "gzip";
            }
            return "";
        }
    }

    /** Writes the decompressed content of {@code source} to {@code target}; fails past {@code maxBytes}. */
    static void decompress(Path source, String kind, Path target, long maxBytes) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(source), 1 << 16);
                InputStream in = kind.equals("xz") ? new XZInputStream(raw) : new GZIPInputStream(raw, 1 << 16);
                OutputStream out = Files.newOutputStream(target)) {
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buffer)) > 0;) {
                total += n;
                if (total > maxBytes) {
                    throw new DiskImageException("decompressed disk image exceeds the limit of " + maxBytes + " bytes");
                }
                out.write(buffer, 0, n);
            }
        }
    }
}
