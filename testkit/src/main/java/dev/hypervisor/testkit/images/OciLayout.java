package dev.hypervisor.testkit.images;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;

/**
 * An OCI image layout directory being written: {@code oci-layout}, {@code blobs/sha256/*} and
 * {@code index.json} (https://github.com/opencontainers/image-spec/blob/main/image-layout.md).
 */
public final class OciLayout {

    private static final String REF_NAME = "org.opencontainers.image.ref.name";
    private final Path dir;

    private OciLayout(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating when missing) the layout at {@code dir}. */
    public static OciLayout open(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Path marker = dir.resolve("oci-layout");
        if (!Files.exists(marker)) {
            Files.writeString(marker, "{\"imageLayoutVersion\":\"1.0.0\"}");
        }
        return new OciLayout(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Where the blob with {@code digest} lives in this layout. */
    public Path blobPath(String digest) {
        return dir.resolve("blobs").resolve(digest.replace(':', '/'));
    }

    /** Stores {@code bytes} as a blob. */
    public Blob putBlob(String mediaType, byte[] bytes) throws IOException {
        String digest = "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
        Files.write(blobPath(digest), bytes);
        return new Blob(mediaType, digest, bytes.length);
    }

    /** Writes {@code tree} as a tar, compresses it, and stores the result as a layer blob. */
    public BuiltLayer putLayer(LayerTree tree, Compression compression) throws IOException {
        Path temp = Files.createTempFile(dir, "layer", ".tmp");
        MessageDigest uncompressed = sha256();
        MessageDigest compressed = sha256();
        long size;
        try (CountingOutputStream counting = new CountingOutputStream(new DigestOutputStream(Files.newOutputStream(temp), compressed))) {
            try (OutputStream compressor = compressor(compression, counting)) {
                tree.writeTar(new DigestOutputStream(compressor, uncompressed));
            }
            size = counting.count;
        }
        String digest = "sha256:" + HexFormat.of().formatHex(compressed.digest());
        Path blob = blobPath(digest);
        Files.move(temp, blob, StandardCopyOption.REPLACE_EXISTING);
        String diffId = "sha256:" + HexFormat.of().formatHex(uncompressed.digest());
        return new BuiltLayer(new Blob(compression.mediaType(), digest, size), diffId, blob);
    }

    /** Points tag {@code tag} of {@code index.json} at {@code manifest}, replacing an older entry of that tag. */
    public void tag(String tag, Blob manifest) throws IOException {
        Path indexFile = dir.resolve("index.json");
        List<Object> manifests = new ArrayList<>();
        if (Files.exists(indexFile)) {
            for (JsonNode entry : OciImageBuilder.JSON.readTree(indexFile.toFile()).path("manifests")) {
                if (!tag.equals(entry.path("annotations").path(REF_NAME).asText(null))) {
                    manifests.add(entry);
                }
            }
        }
        Map<String, Object> entry = descriptorJson(manifest);
        entry.put("annotations", Map.of(REF_NAME, tag));
        manifests.add(entry);
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", Blob.INDEX);
        index.put("manifests", manifests);
        Files.write(indexFile, OciImageBuilder.JSON.writeValueAsBytes(index));
    }

    /** The JSON object of a descriptor: mediaType, digest, size. */
    static Map<String, Object> descriptorJson(Blob d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mediaType", d.mediaType());
        m.put("digest", d.digest());
        m.put("size", d.size());
        return m;
    }

    private static OutputStream compressor(Compression compression, OutputStream out) throws IOException {
        return switch (compression) {
            case NONE -> new java.io.FilterOutputStream(out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }
            };
            // Default parameters leave the gzip header's mtime 0, so output is reproducible.
            case GZIP -> new GzipCompressorOutputStream(out);
            case ZSTD -> new ZstdCompressorOutputStream(out);
        };
    }

    /** Counts the compressed bytes: the blob's size. */
    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
