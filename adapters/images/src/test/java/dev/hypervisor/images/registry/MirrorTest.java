package dev.hypervisor.images.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.images.registry.RegistryException.Kind;
import dev.hypervisor.images.testing.RegistryProxy;
import dev.hypervisor.testkit.images.BuiltImage;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mirrors for docker.io served by a loopback registry; Docker Hub's server is replaced by a closed
 * loopback port, so any request that goes past the mirror fails loudly instead of reaching out.
 */
class MirrorTest {

    @TempDir
    static Path dir;
    static RegistryServer mirror;
    static BuiltImage busybox;
    static String closedUpstream;

    @TempDir
    Path work;

    @BeforeAll
    static void fillMirror() throws Exception {
        mirror = RegistryServer.start(Files.createDirectories(dir.resolve("mirror")));
        busybox = OciImageBuilder.busyboxImage().writeTo(dir.resolve("layout"), "latest");
        busybox.push(mirror.host() + "/library/busybox:latest");
        closedUpstream = "127.0.0.1:" + RegistryServer.freePort();
    }

    @AfterAll
    static void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    private static RegistryClient client(List<String> mirrors) {
        RegistryConfig config = RegistryConfig.defaults().withMirrors("docker.io", mirrors).withServer("docker.io", closedUpstream);
        return new RegistryClient(config, Platform.linuxAmd64(), TestImages.FAST);
    }

    @Test
    void shortNameIsServedByTheDockerHubMirrorWithTheSameRepositoryPath() throws Exception {
        try (RegistryProxy counting = RegistryProxy.start(mirror.host())) {
            RegistryClient client = client(List.of(counting.host()));
            ImageReference ref = ImageReference.parse("busybox:latest");

            ResolvedImage resolved = client.resolve(ref);
            client.fetchBlob(ref, resolved.layers().get(0), work.resolve("layer"), n -> { });

            assertThat(resolved.reference().toString()).isEqualTo("docker.io/library/busybox:latest");
            assertThat(resolved.manifestDigest()).isEqualTo(busybox.manifest().digest());
            assertThat(work.resolve("layer")).hasSameBinaryContentAs(busybox.layers().get(0).blob());
            assertThat(counting.requestCount("/v2/library/busybox/manifests/latest")).isEqualTo(1);
        }
    }

    @Test
    void unreachableMirrorIsSkippedForTheNextOne() {
        String deadMirror = "127.0.0.1:" + RegistryServer.freePort();

        ResolvedImage resolved = client(List.of(deadMirror, mirror.host())).resolve(ImageReference.parse("busybox"));

        assertThat(resolved.manifestDigest()).isEqualTo(busybox.manifest().digest());
    }

    @Test
    void imageMissingOnTheMirrorFallsBackToTheUpstream() {
        assertThatThrownBy(() -> client(List.of(mirror.host())).resolve(ImageReference.parse("alpine:3")))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
                    assertThat(e.getSuppressed()).singleElement()
                            .satisfies(s -> assertThat(((RegistryException) s).kind()).isEqualTo(Kind.NOT_FOUND));
                })
                .hasMessageContaining(closedUpstream).hasMessageContaining("docker.io/library/alpine:3");
    }
}
