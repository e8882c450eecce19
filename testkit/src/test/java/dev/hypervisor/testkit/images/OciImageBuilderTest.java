package dev.hypervisor.testkit.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
                .containsExactly(Compression.GZIP.mediaType(), Compression.ZSTD.mediaType(), Compression.NONE.mediaType());
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

    @Test
    void generatedFilesAreReproducibleAndOnlyTextCompresses() throws Exception {
        LayerTree tree = LayerTree.create().randomFile("r.bin", 100_003, 5).textFile("t.txt", 50_001, 5);
        BuiltImage one = OciImageBuilder.image().layer(tree, Compression.GZIP).writeTo(dir.resolve("one"), "t");
        BuiltImage two = OciImageBuilder.image().layer(tree, Compression.GZIP).writeTo(dir.resolve("two"), "t");

        assertThat(one.layers().get(0).diffId()).isEqualTo(two.layers().get(0).diffId());
        byte[] random = tree.entries().get(0).content().open().readAllBytes();
        byte[] byteByByte = new byte[random.length];
        try (InputStream in = tree.entries().get(0).content().open()) {
            for (int i = 0, b; (b = in.read()) >= 0; i++) {
                byteByByte[i] = (byte) b;
            }
        }
        assertThat(byteByByte).isEqualTo(random).hasSize(100_003);
        assertThat(tree.entries().get(1).content().open().readAllBytes()).hasSize(50_001);
        // gzip of the layer: the random file stays its size, the text shrinks to about a third.
        assertThat(one.layers().get(0).descriptor().size()).isBetween(100_003L + 10_000, 100_003L + 25_000);
    }

    private static InputStream decompressed(BuiltLayer layer) throws Exception {
        InputStream raw = Files.newInputStream(layer.blob());
        Compression compression = java.util.Arrays.stream(Compression.values())
                .filter(c -> c.mediaType().equals(layer.descriptor().mediaType())).findFirst().orElseThrow();
        return switch (compression) {
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
