package dev.hypervisor.images.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.images.registry.MediaTypes;
import dev.hypervisor.images.registry.MediaTypes.Compression;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fixture's layouts are what the image spec says, so tests built on them prove something. */
class OciImageBuilderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void layersDecompressToTarsWhoseDigestsAreTheConfigDiffIds() throws Exception {
        BuiltImage image = OciImageBuilder.image()
                .layer(LayerTree.create().file("a.txt", "a"), Compression.GZIP)
                .layer(LayerTree.create().file("b.txt", "b"), Compression.ZSTD)
                .layer(LayerTree.create().file("c.txt", "c"), Compression.NONE)
                .writeTo(dir, "t");

        JsonNode config = JSON.readTree(image.configBytes());
        List<String> diffIds = new ArrayList<>();
        config.path("rootfs").path("diff_ids").forEach(n -> diffIds.add(n.asText()));
        assertThat(diffIds).containsExactlyElementsOf(image.layers().stream().map(BuiltLayer::diffId).toList());
        for (BuiltLayer layer : image.layers()) {
            assertThat(sha256(decompressed(layer))).isEqualTo(layer.diffId());
            assertThat(sha256(Files.newInputStream(layer.blob()))).isEqualTo(layer.descriptor().digest());
            assertThat(Files.size(layer.blob())).isEqualTo(layer.descriptor().size());
        }
        assertThat(image.layers()).extracting(l -> l.descriptor().mediaType())
                .containsExactly(MediaTypes.OCI_LAYER_GZIP, MediaTypes.OCI_LAYER_ZSTD, MediaTypes.OCI_LAYER_TAR);
    }

    @Test
    void treeEntriesKeepTypesModesOwnersAndWhiteoutNames() throws Exception {
        BuiltImage image = OciImageBuilder.image().layer(LayerTree.create()
                .dir("d", 0750, 5, 6).file("d/x", new byte[] {1, 2}, 04755, 1000, 1001).symlink("d/l", "x")
                .hardlink("d/h", "d/x").whiteout("etc/gone").opaque("var"), Compression.GZIP).writeTo(dir, "t");

        List<TarArchiveEntry> entries = new ArrayList<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(decompressed(image.layers().get(0)))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                entries.add(e);
            }
        }
        assertThat(entries).extracting(TarArchiveEntry::getName)
                .containsExactly("d/", "d/x", "d/l", "d/h", "etc/.wh.gone", "var/.wh..wh..opq");
        assertThat(entries.get(0).isDirectory()).isTrue();
        assertThat(entries.get(0).getMode() & 07777).isEqualTo(0750);
        assertThat(entries.get(0).getLongUserId()).isEqualTo(5);
        assertThat(entries.get(1).getMode() & 07777).isEqualTo(04755);
        assertThat(entries.get(1).getLongGroupId()).isEqualTo(1001);
        assertThat(entries.get(1).getSize()).isEqualTo(2);
        assertThat(entries.get(2).isSymbolicLink()).isTrue();
        assertThat(entries.get(2).getLinkName()).isEqualTo("x");
        assertThat(entries.get(3).isLink()).isTrue();
        assertThat(entries.get(3).getLinkName()).isEqualTo("d/x");
    }

    @Test
    void busyboxImageRunsShFromASymlinkedStaticBinaryAndBuildsReproducibly() throws Exception {
        BuiltImage first = OciImageBuilder.busyboxImage().writeTo(dir.resolve("one"), "t");
        BuiltImage second = OciImageBuilder.busyboxImage().writeTo(dir.resolve("two"), "t");

        assertThat(first.manifest().digest()).isEqualTo(second.manifest().digest());
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(decompressed(first.layers().get(0)))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                names.add(e.getName() + (e.isSymbolicLink() ? " -> " + e.getLinkName() : ""));
            }
        }
        assertThat(names).contains("bin/busybox", "bin/sh -> busybox", "bin/ls -> busybox", "etc/passwd", "tmp/");
        JsonNode config = JSON.readTree(first.configBytes());
        assertThat(config.path("architecture").asText()).isEqualTo("amd64");
        assertThat(config.path("os").asText()).isEqualTo("linux");
        assertThat(config.path("config").path("Cmd").get(0).asText()).isEqualTo("sh");
    }

    @Test
    void indexListsEachPlatformAndIndexJsonTagsIt() throws Exception {
        BuiltIndex index = OciImageBuilder.writeIndexTo(dir, "multi",
                OciImageBuilder.image().layer(LayerTree.create().file("a", "a"), Compression.GZIP),
                OciImageBuilder.image().architecture("arm64").layer(LayerTree.create().file("b", "b"), Compression.GZIP));
        OciImageBuilder.busyboxImage().writeTo(dir, "single");

        JsonNode indexJson = JSON.readTree(index.indexBytes());
        assertThat(indexJson.path("manifests")).extracting(m -> m.path("platform").path("architecture").asText())
                .containsExactly("amd64", "arm64");
        assertThat(index.image("arm64").config().digest()).isNotEqualTo(index.image("amd64").config().digest());
        JsonNode layoutIndex = JSON.readTree(dir.resolve("index.json").toFile());
        assertThat(layoutIndex.path("manifests")).extracting(m -> m.path("annotations").path("org.opencontainers.image.ref.name").asText())
                .containsExactly("multi", "single");
        assertThat(layoutIndex.path("manifests").get(0).path("digest").asText()).isEqualTo(index.index().digest());
        assertThat(dir.resolve("oci-layout")).exists();
    }

    private static InputStream decompressed(BuiltLayer layer) throws Exception {
        InputStream raw = Files.newInputStream(layer.blob());
        return switch (MediaTypes.layerCompression(layer.descriptor().mediaType())) {
            case GZIP -> new GzipCompressorInputStream(raw);
            case ZSTD -> new ZstdCompressorInputStream(raw);
            case NONE -> raw;
        };
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (DigestInputStream d = new DigestInputStream(in, md)) {
            d.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }
}
