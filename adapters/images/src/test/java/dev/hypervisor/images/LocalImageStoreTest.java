package dev.hypervisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.image.ImageInfo;
import dev.hypervisor.core.image.ImagePage;
import dev.hypervisor.core.image.ImageQuery;
import dev.hypervisor.core.image.PullListener;
import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.images.testing.RegistryProxy;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import dev.hypervisor.testkit.Tmpfs;
import dev.hypervisor.testkit.images.BuiltImage;
import dev.hypervisor.testkit.images.Compression;
import dev.hypervisor.testkit.images.LayerTree;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image store end to end: a real registry on loopback, real unpacking, real overlay layers. */
class LocalImageStoreTest {

    @TempDir
    static Path shared;
    static RegistryServer registry;
    static RegistryProxy proxy;
    static BuiltImage app;
    static BuiltImage disk;

    @TempDir
    Path data;
    private LocalImageStore images;

    @BeforeAll
    static void pushImages() throws Exception {
        registry = RegistryServer.start(Files.createDirectories(shared.resolve("registry")));
        proxy = RegistryProxy.start(registry.host());
        Path layout = shared.resolve("layout");
        app = OciImageBuilder.busyboxImage()
                .layer(LayerTree.create().dir("app").file("app/hello.txt", "hello\n"), Compression.ZSTD)
                .layer(LayerTree.create().dir("data").randomFile("data/blob.bin", 2 << 20, 7), Compression.NONE)
                .cmd("/bin/sh").writeTo(layout, "app");
        app.push(registry.host() + "/demo/app:v1");
        Path qcow = shared.resolve("disk.qcow2");
        Process create = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", qcow.toString(), "32M").start();
        assertThat(create.waitFor(30, TimeUnit.SECONDS) && create.exitValue() == 0).as("qemu-img create").isTrue();
        disk = OciImageBuilder.image().layer(LayerTree.create().dir("disk").file("disk/disk.qcow2", Files.readAllBytes(qcow), 0644),
                Compression.GZIP).writeTo(layout, "disk");
        disk.push(registry.host() + "/demo/containerdisk:v1");
    }

    @AfterAll
    static void stop() {
        proxy.close();
        registry.close();
    }

    @BeforeEach
    void open() {
        proxy.reset();
        images = LocalImageStore.open(data.resolve("images"), new InMemoryStore(), ImageOptions.defaults(), "node-1");
    }

    @AfterEach
    void close() {
        images.close();
    }

    private String ref(String repo) {
        return proxy.host() + "/" + repo;
    }

    /** Records each progress message. */
    static final class Recorder implements PullListener {
        final List<Phase> phases = new CopyOnWriteArrayList<>();
        final List<long[]> bytes = new CopyOnWriteArrayList<>();
        final List<List<BlobProgress>> blobs = new CopyOnWriteArrayList<>();

        @Override
        public void onProgress(Phase phase, long done, long total, List<BlobProgress> each, String message) {
            if (phases.isEmpty() || phases.get(phases.size() - 1) != phase) {
                phases.add(phase);
            }
            bytes.add(new long[] {done, total});
            blobs.add(each);
        }
    }

    @Test
    void pullsAnImageWithProgressInPhaseOrderAndListsIt() {
        Recorder progress = new Recorder();
        ImageInfo image = images.pull(ref("demo/app:v1"), "", progress);
        assertThat(image.digest()).isEqualTo(app.manifest().digest());
        assertThat(image.kind()).isEqualTo(ImageInfo.Kind.CONTAINER);
        assertThat(image.references()).containsExactly(ref("demo/app:v1"));
        assertThat(progress.phases).containsSubsequence(PullListener.Phase.RESOLVING, PullListener.Phase.DOWNLOADING,
                PullListener.Phase.VERIFYING, PullListener.Phase.UNPACKING, PullListener.Phase.DONE);
        long[] last = progress.bytes.get(progress.bytes.size() - 1);
        assertThat(last[0]).isEqualTo(last[1]).isEqualTo(app.layers().stream().mapToLong(l -> l.descriptor().size()).sum());
        assertThat(progress.blobs.get(progress.blobs.size() - 1)).hasSize(3);
        ImagePage page = images.list(new ImageQuery(null, "", 0, ""));
        assertThat(page.images()).extracting(ImageInfo::digest).containsExactly(image.digest());
    }

    @Test
    void concurrentPullsOfOneImageShareOneDownload() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(4);
        List<Future<ImageInfo>> pulls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            pulls.add(callers.submit(() -> images.pull(ref("demo/app:v1"), "", new Recorder())));
        }
        for (Future<ImageInfo> pull : pulls) {
            assertThat(pull.get(60, TimeUnit.SECONDS).digest()).isEqualTo(app.manifest().digest());
        }
        callers.shutdown();
        for (var layer : app.layers()) {
            String path = "/v2/demo/app/blobs/" + layer.descriptor().digest();
            assertThat(proxy.requestCount(path)).as(path).isEqualTo(1);
        }
    }

    @Test
    void aPullGoesOnWhenItsCallerGoesAwayAndARetryIsQuick() {
        PullListener leaving = (phase, done, total, blobs, message) -> {
            if (phase == PullListener.Phase.DOWNLOADING) {
                throw new IllegalStateException("client disconnected");
            }
        };
        assertThat(images.pull(ref("demo/app:v1"), "", leaving).digest()).isEqualTo(app.manifest().digest());
        images.pull(ref("demo/app:v1"), "", PullListener.NONE);
        // The retry only re-resolves the tag: no layer is downloaded twice.
        for (var layer : app.layers()) {
            assertThat(proxy.requestCount("/v2/demo/app/blobs/" + layer.descriptor().digest())).isEqualTo(1);
        }
    }

    @Test
    void aBlobWhoseDigestLiesFailsThePullAndLeavesNothingBehind() throws Exception {
        String lying = app.layers().get(2).descriptor().digest();
        proxy.corrupt(lying);
        try {
            assertThatThrownBy(() -> images.pull(ref("demo/app:v1"), "", PullListener.NONE))
                    .isInstanceOf(DomainException.class).hasMessageContaining(lying.substring(7, 19));
        } finally {
            proxy.reset();
        }
        assertThat(images.list(new ImageQuery(null, "", 0, "")).images()).isEmpty();
        assertThat(data.resolve("images/content/blobs/sha256/" + lying.substring(7))).doesNotExist();
        try (Stream<Path> ingest = Files.list(data.resolve("images/content/ingest"))) {
            assertThat(ingest).isEmpty();
        }
    }

    @Test
    void anImageInUseCannotBeRemovedAndRemovalCollectsItsContent() throws Exception {
        ImageInfo used = images.acquire(ref("demo/app:v1"), "inst-a", PullListener.NONE);
        assertThat(used.usedBy()).containsExactly("inst-a");
        assertThatThrownBy(() -> images.remove(ref("demo/app:v1")))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
                    assertThat(e).hasMessageContaining("inst-a");
                });
        images.release("inst-a");
        images.release("inst-a");
        images.remove(ref("demo/app:v1"));
        assertThat(images.list(new ImageQuery(null, "", 0, "")).images()).isEmpty();
        try (Stream<Path> blobs = Files.list(data.resolve("images/content/blobs/sha256"))) {
            assertThat(blobs).isEmpty();
        }
        assertThatThrownBy(() -> images.remove(ref("demo/app:v1")))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }

    @Test
    void acquirePullsAMissingImageImplicitlyOnceAndIsIdempotentPerInstance() {
        ImageInfo first = images.acquire(ref("demo/app:v1"), "inst-a", PullListener.NONE);
        ImageInfo again = images.acquire(ref("demo/app:v1"), "inst-a", PullListener.NONE);
        ImageInfo other = images.acquire(ref("demo/app:v1"), "inst-b", PullListener.NONE);
        assertThat(again.digest()).isEqualTo(first.digest());
        assertThat(other.usedBy()).containsExactly("inst-a", "inst-b");
        assertThat(proxy.requestCount("/v2/demo/app/blobs/" + app.layers().get(0).descriptor().digest())).isEqualTo(1);
    }

    @Test
    void sixtyFourInstancesAcquiringOneImageAtOnceAllGetItInAFewSharedCommits() throws Exception {
        // A real SQLite store: its group commit makes concurrent compare-and-swaps really collide.
        images.close();
        Store sqlite = SqliteStore.open(data.resolve("state.db"), SqliteStoreOptions.defaults());
        images = LocalImageStore.open(data.resolve("images"), sqlite, ImageOptions.defaults(), "node-1");
        images.pull(ref("demo/app:v1"), "", PullListener.NONE);
        long batchesBefore = ((SqliteStore) sqlite).commitBatches();
        ExecutorService callers = Executors.newFixedThreadPool(64);
        try {
            List<Future<ImageInfo>> acquired = new ArrayList<>();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            for (int i = 0; i < 64; i++) {
                String instance = "inst-c" + i;
                acquired.add(callers.submit(() -> {
                    go.await(); // all 64 at once, not as fast as the pool happens to start them
                    return images.acquire(ref("demo/app:v1"), instance, PullListener.NONE);
                }));
            }
            go.countDown();
            for (Future<ImageInfo> future : acquired) {
                future.get(30, TimeUnit.SECONDS); // none may fail with ABORTED
            }
        } finally {
            callers.shutdownNow();
        }
        // The marks combine: one durable commit each, in turn, would take 64.
        assertThat(((SqliteStore) sqlite).commitBatches() - batchesBefore).isLessThan(32);
        assertThat(images.acquire(ref("demo/app:v1"), "inst-c0", PullListener.NONE).usedBy()).hasSize(64);
        images.close();
        sqlite.close();
    }

    @Test
    void anAliasFromTheCatalogResolvesAndIsKeptAsAReference() throws Exception {
        Path catalog = data.resolve("catalog.json");
        Files.writeString(catalog, "{\"aliases\": {\"demo-app\": {\"source\": \"" + ref("demo/app:v1") + "\"}}}");
        images.close();
        images = LocalImageStore.open(data.resolve("images"), new InMemoryStore(),
                ImageOptions.defaults().withCatalog(catalog), "node-1");
        ImageInfo image = images.acquire("demo-app", "inst-a", PullListener.NONE);
        assertThat(image.references()).containsExactlyInAnyOrder(ref("demo/app:v1"), "demo-app");
    }

    @Test
    void aContainerDiskBecomesADiskImage() {
        ImageInfo image = images.pull(ref("demo/containerdisk:v1"), "", PullListener.NONE);
        assertThat(image.kind()).isEqualTo(ImageInfo.Kind.DISK);
        ImagePage disks = images.list(new ImageQuery(ImageInfo.Kind.DISK, "", 0, ""));
        assertThat(disks.images()).extracting(ImageInfo::digest).containsExactly(image.digest());
        assertThat(images.list(new ImageQuery(ImageInfo.Kind.CONTAINER, "", 0, "")).images()).isEmpty();
    }

    @Test
    void aDiskImageGivesItsStoredDiskAsTheBaseDiskOfAVm() throws Exception {
        ImageInfo image = images.pull(ref("demo/containerdisk:v1"), "", PullListener.NONE);

        Path base = images.diskImages().baseDisk(image.digest());

        assertThat(base).hasSameBinaryContentAs(shared.resolve("disk.qcow2"));
        assertThat(images.diskImages().format(image.digest())).isEqualTo("qcow2");
    }

    @Test
    void aContainerImageOrAnUnknownDigestHasNoBaseDisk() {
        ImageInfo container = images.pull(ref("demo/app:v1"), "", PullListener.NONE);

        assertThatThrownBy(() -> images.diskImages().baseDisk(container.digest()))
                .isInstanceOfSatisfying(DomainException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
        assertThatThrownBy(() -> images.diskImages().format("sha256:" + "0".repeat(64)))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }

    @Test
    void listPagesWithTokensAndFiltersByReference() {
        images.pull(ref("demo/app:v1"), "", PullListener.NONE);
        images.pull(ref("demo/containerdisk:v1"), "", PullListener.NONE);
        ImagePage first = images.list(new ImageQuery(null, "", 1, ""));
        assertThat(first.images()).hasSize(1);
        ImagePage second = images.list(new ImageQuery(null, "", 1, first.nextPageToken()));
        assertThat(second.images()).hasSize(1);
        assertThat(second.nextPageToken()).isEmpty();
        assertThat(images.list(new ImageQuery(null, "containerdisk", 0, "")).images()).hasSize(1);
        assertThatThrownBy(() -> images.list(new ImageQuery(null, "", 1, "bogus")))
                .hasMessageStartingWith("page_token:");
    }

    @Test
    void aMissingTagIsNotFoundAndABadReferenceIsInvalid() {
        assertThatThrownBy(() -> images.pull(ref("demo/app:nope"), "", PullListener.NONE))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThatThrownBy(() -> images.pull("UPPER/Case:tag", "", PullListener.NONE))
                .isInstanceOfSatisfying(DomainException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void checkNameTakesWhatItCouldPullAndRefusesTheRestNamingTheField() {
        for (String pullable : List.of("busybox", "nginx:latest", "127.0.0.1:5000/team/app:1.2", "debian-12",
                "https://example.org/disk.qcow2.xz", "docker.io/library/busybox@sha256:" + "a".repeat(64))) {
            images.checkName("spec.image", pullable); // no pull, no network
        }
        for (String refused : List.of("busy\0box", "file:///etc/shadow", "../../etc/shadow", "library/../x",
                "http:///etc/passwd", "Busybox", "a b")) {
            assertThatThrownBy(() -> images.checkName("spec.kernel", refused)).as(refused)
                    .isInstanceOf(DomainException.class)
                    .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageStartingWith("spec.kernel: ");
        }
        assertThat(proxy.requests()).isEmpty();
    }

    @Test
    void aPartialBlobIsResumedAndItsBytesCountOnce() throws Exception {
        var layer = app.layers().get(1).descriptor(); // the 2 MiB one
        Path blob = shared.resolve("prefix.bin");
        try (var in = java.net.URI.create("http://" + registry.host() + "/v2/demo/app/blobs/" + layer.digest())
                .toURL().openStream()) {
            Files.write(blob, in.readNBytes((int) (layer.size() / 2)));
        }
        Files.copy(blob, data.resolve("images/content/ingest/" + layer.digest().substring(7) + ".partial"));
        Recorder progress = new Recorder();
        images.pull(ref("demo/app:v1"), "", progress);
        assertThat(proxy.rangeHeaders(layer.digest())).containsExactly("bytes=" + layer.size() / 2 + "-");
        for (long[] figure : progress.bytes) {
            assertThat(figure[0]).as("bytes done never pass the total").isLessThanOrEqualTo(figure[1]);
        }
        for (var each : progress.blobs) {
            each.forEach(b -> assertThat(b.bytesDone()).as(b.digest()).isLessThanOrEqualTo(b.bytesTotal()));
        }
    }

    @Test
    void aPullThatCannotFitIsRefusedBeforeItDownloadsAndLeavesNothingBehind() throws Exception {
        Path small = data.resolve("small");
        try (Tmpfs mounted = Tmpfs.mount(small, "1m")) {
            // The image has 3 MiB of layers; the file system 1 MiB.
            try (LocalImageStore cramped = LocalImageStore.open(small.resolve("images"), new InMemoryStore(),
                    ImageOptions.defaults().withMinFreeBytes(64 << 10), "node-1")) {
                assertThatThrownBy(() -> cramped.pull(ref("demo/app:v1"), "", PullListener.NONE))
                        .isInstanceOf(DomainException.class)
                        .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED))
                        .hasMessageContaining("pulling " + ref("demo/app:v1")).hasMessageContaining(" needs ")
                        .hasMessageContaining("has 1.0 MiB free");
            }
            for (var layer : app.layers()) {
                assertThat(proxy.requestCount("/v2/demo/app/blobs/" + layer.descriptor().digest())).isZero();
            }
            try (Stream<Path> ingest = Files.list(small.resolve("images/content/ingest"))) {
                assertThat(ingest).isEmpty();
            }
        }
    }
}
