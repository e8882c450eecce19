package dev.hypervisor.images.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.testkit.images.BuiltImage;
import dev.hypervisor.testkit.images.BuiltIndex;
import dev.hypervisor.testkit.images.BuiltLayer;
import dev.hypervisor.testkit.images.Compression;
import dev.hypervisor.testkit.images.LayerTree;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import dev.hypervisor.testkit.images.Skopeo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls from a real distribution registry images pushed there with skopeo. */
class RegistryPullTest {

    @TempDir
    static Path dir;
    static RegistryServer registry;
    static BuiltImage image;
    static BuiltIndex multiPlatform;
    static RegistryClient client;

    @TempDir
    Path work;

    @BeforeAll
    static void pushImages() throws Exception {
        registry = RegistryServer.start(Files.createDirectories(dir.resolve("registry")));
        Path layout = dir.resolve("layout");
        image = TestImages.multiLayer(layout, "multi");
        image.push(registry.host() + "/demo/multi:v1");
        BuiltImage gzipOnly = OciImageBuilder.busyboxImage().writeTo(layout, "gzip");
        gzipOnly.push(registry.host() + "/demo/docker:v2s2", Skopeo.Format.V2S2);
        // arm64 first: a client that takes the first entry instead of matching the platform fails.
        multiPlatform = OciImageBuilder.writeIndexTo(layout, "multiarch",
                OciImageBuilder.image().architecture("arm64").layer(LayerTree.create().file("arm64.txt", "arm\n"), Compression.GZIP)
                        .label("arch", "arm64"),
                OciImageBuilder.busyboxImage().label("arch", "amd64"));
        multiPlatform.push(registry.host() + "/demo/multiarch:latest");
        client = new RegistryClient(RegistryConfig.defaults(), Platform.linuxAmd64(), TestImages.FAST);
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void resolvesAndFetchesMultiLayerImageWithGzipZstdAndUncompressedLayers() throws Exception {
        ResolvedImage resolved = client.resolve(ImageReference.parse(registry.host() + "/demo/multi:v1"));

        assertThat(resolved.manifestDigest()).isEqualTo(image.manifest().digest());
        assertThat(resolved.manifestMediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(resolved.manifestBytes()).isEqualTo(image.manifestBytes());
        assertThat(resolved.config()).isEqualTo(TestImages.descriptor(image.config()));
        assertThat(resolved.configBytes()).isEqualTo(image.configBytes());
        assertThat(resolved.layers()).isEqualTo(TestImages.layerDescriptors(image));
        assertThat(resolved.layers()).extracting(Descriptor::mediaType)
                .containsExactly(MediaTypes.OCI_LAYER_GZIP, MediaTypes.OCI_LAYER_ZSTD, MediaTypes.OCI_LAYER_TAR);
        for (BuiltLayer layer : image.layers()) {
            Path file = work.resolve(layer.descriptor().digest().substring(7));
            AtomicLong progress = new AtomicLong();
            client.fetchBlob(resolved.reference(), TestImages.descriptor(layer.descriptor()), file, progress::addAndGet);
            assertThat(file).hasSameBinaryContentAs(layer.blob());
            assertThat(progress.get()).isEqualTo(layer.descriptor().size());
        }
    }

    @Test
    void resolvesDockerSchema2Manifest() throws Exception {
        ResolvedImage resolved = client.resolve(ImageReference.parse(registry.host() + "/demo/docker:v2s2"));

        assertThat(resolved.manifestMediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
        assertThat(resolved.config().mediaType()).isEqualTo(MediaTypes.DOCKER_CONFIG);
        assertThat(resolved.layers()).extracting(Descriptor::mediaType).containsExactly(MediaTypes.DOCKER_LAYER_GZIP);
        assertThat(Digests.sha256(resolved.manifestBytes())).isEqualTo(resolved.manifestDigest());
        Path file = work.resolve("layer");
        client.fetchBlob(resolved.reference(), resolved.layers().get(0), file, n -> { });
        assertThat(Digests.ofFile(file, "sha256:")).isEqualTo(resolved.layers().get(0).digest());
    }

    @Test
    void multiPlatformIndexResolvesToTheAmd64Image() throws Exception {
        ResolvedImage resolved = client.resolve(ImageReference.parse(registry.host() + "/demo/multiarch"));

        JsonNode config = new ObjectMapper().readTree(resolved.configBytes());
        assertThat(config.path("architecture").asText()).isEqualTo("amd64");
        assertThat(config.path("config").path("Labels").path("arch").asText()).isEqualTo("amd64");
        assertThat(resolved.manifestDigest()).isEqualTo(multiPlatform.image("amd64").manifest().digest());
    }

    @Test
    void indexWithoutThePlatformIsNotFound() {
        RegistryClient riscv = new RegistryClient(RegistryConfig.defaults(), new Platform("linux", "riscv64", null), TestImages.FAST);

        assertThatThrownBy(() -> riscv.resolve(ImageReference.parse(registry.host() + "/demo/multiarch")))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND))
                .hasMessageContaining("linux/riscv64").hasMessageContaining("linux/arm64");
    }

    @Test
    void pinnedDigestReferenceResolvesThatManifest() {
        String digest = image.manifest().digest();
        ResolvedImage resolved = client.resolve(ImageReference.parse(registry.host() + "/demo/multi@" + digest));

        assertThat(resolved.manifestDigest()).isEqualTo(digest);
        assertThat(resolved.layers()).isEqualTo(TestImages.layerDescriptors(image));
    }

    @Test
    void pinnedDigestOfAnIndexResolvesItsAmd64Manifest() {
        ResolvedImage resolved = client.resolve(ImageReference.parse(registry.host() + "/demo/multiarch@" + multiPlatform.index().digest()));

        assertThat(resolved.manifestDigest()).isEqualTo(multiPlatform.image("amd64").manifest().digest());
    }

    @Test
    void wrongPinnedDigestIsNotFound() {
        String wrong = "sha256:" + "0".repeat(64);
        ImageReference ref = ImageReference.parse(registry.host() + "/demo/multi:v1@" + wrong);

        assertThatThrownBy(() -> client.resolve(ref))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND))
                .hasMessageContaining(registry.host()).hasMessageContaining(wrong);
    }

    @Test
    void missingTagIsNotFoundNamingRegistryAndReference() {
        ImageReference ref = ImageReference.parse(registry.host() + "/demo/multi:nope");

        assertThatThrownBy(() -> client.resolve(ref))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND))
                .hasMessageContaining("registry " + registry.host()).hasMessageContaining(ref.toString())
                .hasMessageContaining("MANIFEST_UNKNOWN");
    }

    @Test
    void missingRepositoryIsNotFound() {
        assertThatThrownBy(() -> client.resolve(ImageReference.parse(registry.host() + "/nobody/here:v1")))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND));
    }

    @Test
    void missingBlobIsNotFoundNamingTheDigest() {
        Descriptor missing = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, "sha256:" + "1".repeat(64), 10);
        Path file = work.resolve("missing");

        assertThatThrownBy(() -> client.fetchBlob(ImageReference.parse(registry.host() + "/demo/multi:v1"), missing, file, n -> { }))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.NOT_FOUND))
                .hasMessageContaining(missing.digest());
    }
}
