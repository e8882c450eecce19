package dev.hypervisor.images.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.images.testing.RegistryProxy;
import dev.hypervisor.testkit.images.BuiltImage;
import dev.hypervisor.testkit.images.BuiltLayer;
import dev.hypervisor.testkit.images.RegistryServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blob and manifest transfers through a faulty proxy: cut and stalled connections, ignored Range, lying content. */
class BlobTransferTest {

    @TempDir
    static Path dir;
    static RegistryServer registry;
    static BuiltImage image;
    static BuiltLayer big;
    RegistryProxy proxy;
    ImageReference ref;
    RegistryClient client = new RegistryClient(RegistryConfig.defaults(), Platform.linuxAmd64(), TestImages.FAST);

    @TempDir
    Path work;

    @BeforeAll
    static void pushImage() throws Exception {
        registry = RegistryServer.start(Files.createDirectories(dir.resolve("registry")));
        image = TestImages.multiLayer(dir.resolve("layout"), "multi");
        image.push(registry.host() + "/demo/multi:v1");
        big = image.layers().get(2); // the uncompressed layer with 1 MiB of random bytes
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void startProxy() {
        proxy = RegistryProxy.start(registry.host());
        ref = ImageReference.parse(proxy.host() + "/demo/multi:v1");
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    @Test
    void brokenConnectionMidBlobResumesWithRangeAndVerifies() throws Exception {
        proxy.cutAfter(big.descriptor().digest(), 300_000);
        Path file = work.resolve("big");
        AtomicLong progress = new AtomicLong();

        client.fetchBlob(ref, TestImages.descriptor(big.descriptor()), file, progress::addAndGet);

        assertThat(file).hasSameBinaryContentAs(big.blob());
        assertThat(progress.get()).isEqualTo(big.descriptor().size());
        assertThat(proxy.rangeHeaders(big.descriptor().digest())).hasSize(2).first().isEqualTo("");
        String resumed = proxy.rangeHeaders(big.descriptor().digest()).get(1);
        assertThat(resumed).matches("bytes=\\d+-");
        assertThat(Long.parseLong(resumed.substring(6, resumed.length() - 1))).isPositive().isLessThanOrEqualTo(300_000);
    }

    @Test
    void blobRedirectedToStorageIsFetchedWithoutTheRegistryTokenAndResumes() throws Exception {
        proxy.auth().requireBearerToken();
        proxy.redirectBlobs(true).cutAfter(big.descriptor().digest(), 250_000);
        Path file = work.resolve("big");

        client.fetchBlob(ref, TestImages.descriptor(big.descriptor()), file, n -> { });

        assertThat(file).hasSameBinaryContentAs(big.blob());
        List<RegistryProxy.SeenRequest> storage = proxy.requests(r -> r.path().startsWith("/storage/"));
        assertThat(storage).extracting(RegistryProxy.SeenRequest::status).containsExactly(200, 206);
        assertThat(storage).allSatisfy(r -> assertThat(r.authorization()).isEmpty());
        assertThat(storage.get(1).range()).startsWith("bytes=").isNotEqualTo("bytes=0-");
        assertThat(proxy.requests(r -> r.path().endsWith("/blobs/" + big.descriptor().digest()) && r.path().startsWith("/v2/")))
                .allSatisfy(r -> assertThat(r.status()).isIn(307, 401));
    }

    @Test
    void stalledConnectionIsAbandonedAndResumed() throws Exception {
        RegistryClient impatient = new RegistryClient(RegistryConfig.defaults(), Platform.linuxAmd64(),
                new RetryPolicy(3, java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(500)));
        proxy.stallAfter(big.descriptor().digest(), 200_000);
        Path file = work.resolve("big");

        impatient.fetchBlob(ref, TestImages.descriptor(big.descriptor()), file, n -> { });

        assertThat(file).hasSameBinaryContentAs(big.blob());
        assertThat(proxy.rangeHeaders(big.descriptor().digest())).last().asString().startsWith("bytes=").isNotEqualTo("bytes=0-");
    }

    @Test
    void existingPartialFileIsResumedAndReportedUpFront() throws Exception {
        Path file = work.resolve("big");
        try (InputStream in = Files.newInputStream(big.blob())) {
            Files.write(file, in.readNBytes(123_456));
        }
        AtomicLong first = new AtomicLong(-1);
        AtomicLong progress = new AtomicLong();

        client.fetchBlob(ref, TestImages.descriptor(big.descriptor()), file, n -> {
            first.compareAndSet(-1, n);
            progress.addAndGet(n);
        });

        assertThat(file).hasSameBinaryContentAs(big.blob());
        assertThat(first.get()).isEqualTo(123_456);
        assertThat(progress.get()).isEqualTo(big.descriptor().size());
        assertThat(proxy.rangeHeaders(big.descriptor().digest())).containsExactly("bytes=123456-");
    }

    @Test
    void serverIgnoringRangeMakesTheDownloadStartOver() throws Exception {
        proxy.ignoreRange(true);
        Path file = work.resolve("big");
        Files.write(file, new byte[1000]); // not even a prefix of the blob: must be thrown away
        AtomicLong progress = new AtomicLong();

        client.fetchBlob(ref, TestImages.descriptor(big.descriptor()), file, progress::addAndGet);

        assertThat(file).hasSameBinaryContentAs(big.blob());
        assertThat(progress.get()).isEqualTo(big.descriptor().size());
    }

    @Test
    void blobWhoseDigestLiesThrowsAndDeletesThePartialFile() {
        proxy.corrupt(big.descriptor().digest());
        Path file = work.resolve("big");

        assertThatThrownBy(() -> client.fetchBlob(ref, TestImages.descriptor(big.descriptor()), file, n -> { }))
                .isInstanceOfSatisfying(BlobVerificationException.class, e -> {
                    assertThat(e.expectedDigest()).isEqualTo(big.descriptor().digest());
                    assertThat(e.actualDigest()).startsWith("sha256:").isNotEqualTo(big.descriptor().digest());
                    assertThat(e.getMessage()).contains(e.expectedDigest()).contains(e.actualDigest()).contains(proxy.host());
                });
        assertThat(file).doesNotExist();
    }

    @Test
    void blobLongerThanItsDescriptorIsRejected() {
        Descriptor shortened = Descriptor.of(big.descriptor().mediaType(), big.descriptor().digest(), 1000);
        Path file = work.resolve("big");

        assertThatThrownBy(() -> client.fetchBlob(ref, shortened, file, n -> { }))
                .isInstanceOf(BlobVerificationException.class).hasMessageContaining("larger than");
        assertThat(file).doesNotExist();
    }

    @Test
    void manifestWhoseBytesDoNotMatchThePinnedDigestIsRejected() {
        String digest = image.manifest().digest();
        proxy.corrupt(digest);

        assertThatThrownBy(() -> client.resolve(ImageReference.parse(proxy.host() + "/demo/multi@" + digest)))
                .isInstanceOfSatisfying(BlobVerificationException.class, e -> assertThat(e.expectedDigest()).isEqualTo(digest))
                .hasMessageContaining("expected " + digest);
    }

    @Test
    void configWhoseBytesDoNotMatchItsDigestIsRejected() {
        proxy.corrupt(image.config().digest());

        assertThatThrownBy(() -> client.resolve(ref))
                .isInstanceOfSatisfying(BlobVerificationException.class, e -> assertThat(e.expectedDigest()).isEqualTo(image.config().digest()));
    }
}
