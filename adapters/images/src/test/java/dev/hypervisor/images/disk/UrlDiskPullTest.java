package dev.hypervisor.images.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.images.content.ContentStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/** Disk images from URLs on a loopback HTTP server, checked with the real qemu-img. */
class UrlDiskPullTest {

    @TempDir
    Path tmp;

    private DiskServer server;
    private ContentStore content;
    private UrlDiskPull pull;
    private final AtomicLong bytes = new AtomicLong();
    private boolean unpacked;

    private final UrlDiskPull.Progress progress = new UrlDiskPull.Progress() {
        @Override
        public void size(long totalBytes) { }

        @Override
        public void advance(long delta) {
            bytes.addAndGet(delta);
        }

        @Override
        public void unpacking() {
            unpacked = true;
        }
    };

    @BeforeEach
    void start() throws IOException {
        Files.createDirectories(tmp.resolve("www"));
        server = new DiskServer(tmp.resolve("www"));
        content = new ContentStore(tmp.resolve("content"));
        pull = new UrlDiskPull(content, UrlDownloader.create(true), new DiskInspector(qemuImg()), 1L << 30, dev.hypervisor.host.DiskSpace.unlimited(tmp));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static String qemuImg() {
        Path path = Path.of("/usr/bin/qemu-img");
        assertThat(path).as("qemu-img is required (apt-get install qemu-utils; ./test.sh installs it)").exists();
        return path.toString();
    }

    private Path qcow2(String name, String size) throws Exception {
        Path file = server.root().resolve(name);
        run(qemuImg(), "create", "-q", "-f", "qcow2", file.toString(), size);
        return file;
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void storesAQcow2ByTheDigestOfItsContent() throws Exception {
        Path disk = qcow2("disk.qcow2", "64M");
        UrlDiskPull.StoredDisk stored = pull.pull(server.url("disk.qcow2"), "", progress);
        assertThat(stored.format()).isEqualTo("qcow2");
        assertThat(stored.virtualSize()).isEqualTo(64L << 20);
        assertThat(stored.digest()).isEqualTo(ContentStore.sha256(disk));
        assertThat(content.path(stored.digest())).hasSameBinaryContentAs(disk);
        assertThat(bytes.get()).isEqualTo(Files.size(disk));
    }

    @Test
    void acceptsRawAndDecompressesXzAndGzip() throws Exception {
        Path raw = server.root().resolve("disk.img");
        Files.write(raw, new byte[1 << 20]);
        assertThat(pull.pull(server.url("disk.img"), "", progress).format()).isEqualTo("raw");
        Path qcow = qcow2("base.qcow2", "32M");
        try (OutputStream out = new XZOutputStream(Files.newOutputStream(server.root().resolve("disk.qcow2.xz")),
                new LZMA2Options())) {
            Files.copy(qcow, out);
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(server.root().resolve("disk.qcow2.gz")))) {
            Files.copy(qcow, out);
        }
        UrlDiskPull.StoredDisk xz = pull.pull(server.url("disk.qcow2.xz"), "", progress);
        assertThat(unpacked).isTrue();
        assertThat(xz.format()).isEqualTo("qcow2");
        assertThat(xz.digest()).isEqualTo(ContentStore.sha256(qcow));
        assertThat(pull.pull(server.url("disk.qcow2.gz"), "", progress).digest()).isEqualTo(xz.digest());
    }

    @Test
    void anExpectedDigestThatDoesNotMatchFailsAndLeavesNothingBehind() throws Exception {
        qcow2("disk.qcow2", "16M");
        String wrong = "sha256:" + "0".repeat(64);
        assertThatThrownBy(() -> pull.pull(server.url("disk.qcow2"), wrong, progress))
                .isInstanceOf(DiskImageException.class).hasMessageContaining("digest mismatch");
        assertThat(content.digests()).isEmpty();
        try (var files = Files.list(tmp.resolve("content/ingest"))) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aMatchingExpectedDigestIsAccepted() throws Exception {
        Path disk = qcow2("disk.qcow2", "16M");
        assertThat(pull.pull(server.url("disk.qcow2"), ContentStore.sha256(disk), progress).digest())
                .isEqualTo(ContentStore.sha256(disk));
    }

    @Test
    void aQcow2WithABackingFileIsRefused() throws Exception {
        Path base = qcow2("base.qcow2", "16M");
        Path overlay = server.root().resolve("overlay.qcow2");
        run(qemuImg(), "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base.toString(), overlay.toString());
        assertThatThrownBy(() -> pull.pull(server.url("overlay.qcow2"), "", progress))
                .isInstanceOf(DiskImageException.class).hasMessageContaining("backing file");
        assertThat(content.digests()).isEmpty();
    }

    @Test
    void aMissingUrlIsNotFoundNamingTheStatus() {
        assertThatThrownBy(() -> pull.pull(server.url("missing.qcow2"), "", progress))
                .isInstanceOfSatisfying(DiskImageException.class, e -> assertThat(e.code())
                        .isEqualTo(dev.hypervisor.core.error.ErrorCode.NOT_FOUND))
                .hasMessageContaining("HTTP 404");
    }

    @Test
    void aBrokenConnectionResumesWithARangeRequest() throws Exception {
        Path disk = server.root().resolve("big.img");
        byte[] data = new byte[3 << 20];
        new java.util.Random(7).nextBytes(data);
        Files.write(disk, data);
        server.cutAfter = 1 << 20;
        UrlDiskPull.StoredDisk stored = pull.pull(server.url("big.img"), "", progress);
        assertThat(stored.digest()).isEqualTo(ContentStore.sha256(disk));
        assertThat(server.ranges).anyMatch(r -> r.startsWith("bytes=") && !r.equals("bytes=0-"));
        assertThat(bytes.get()).isEqualTo(data.length);
    }

    @Test
    void aServerThatIgnoresRangesMakesTheDownloadStartOver() throws Exception {
        Path disk = server.root().resolve("big.img");
        byte[] data = new byte[2 << 20];
        new java.util.Random(9).nextBytes(data);
        Files.write(disk, data);
        server.cutAfter = 1 << 19;
        server.ignoreRanges = true;
        UrlDiskPull.StoredDisk stored = pull.pull(server.url("big.img"), "", progress);
        assertThat(stored.digest()).isEqualTo(ContentStore.sha256(disk));
        assertThat(bytes.get()).isEqualTo(data.length);
    }

    @Test
    void aDownloadThatFailsHalfWayLeavesNoPartialFileBehind() throws Exception {
        Files.write(tmp.resolve("www/big.raw"), new byte[4 << 20]);
        UrlDiskPull limited = new UrlDiskPull(content, UrlDownloader.create(true), new DiskInspector(qemuImg()), 1 << 20,
                dev.hypervisor.host.DiskSpace.unlimited(tmp));
        assertThatThrownBy(() -> limited.pull(server.url("big.raw"), "", progress))
                .isInstanceOf(DiskImageException.class).hasMessageContaining("exceeds the limit");
        assertThat(bytes.get()).as("it did download").isPositive();
        try (var files = Files.list(tmp.resolve("content/ingest"))) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void loopbackUrlsAreRefusedUnlessAllowedAndNothingIsWritten() throws Exception {
        qcow2("local.qcow2", "16M");
        UrlDiskPull guarded = new UrlDiskPull(content, UrlDownloader.create(false), new DiskInspector(qemuImg()), 1L << 30, dev.hypervisor.host.DiskSpace.unlimited(tmp));
        assertThatThrownBy(() -> guarded.pull(server.url("local.qcow2"), "", progress))
                .isInstanceOf(DiskImageException.class)
                .hasMessageContaining("is on a loopback address (127.0.0.1), which this node does not pull from");
        assertThat(server.ranges).isEmpty();
        try (var ingest = Files.list(tmp.resolve("content"))) {
            assertThat(ingest.flatMap(UrlDiskPullTest::filesUnder).toList()).isEmpty();
        }
    }

    @Test
    void aRedirectToLoopbackIsRefusedAtTheHopAndAllowedRedirectsAreFollowed() throws Exception {
        java.net.InetAddress external = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())
                .stream().flatMap(nic -> java.util.Collections.list(nic.getInetAddresses()).stream())
                .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .findFirst().orElseThrow(() -> new AssertionError("this test needs a non-loopback IPv4 address on the host"));
        qcow2("target.qcow2", "16M");
        try (DiskServer outside = new DiskServer(tmp.resolve("www"), external)) {
            outside.redirectTo = server.url("target.qcow2");
            UrlDiskPull guarded = new UrlDiskPull(content, UrlDownloader.create(false), new DiskInspector(qemuImg()), 1L << 30, dev.hypervisor.host.DiskSpace.unlimited(tmp));
            assertThatThrownBy(() -> guarded.pull(outside.url("anything.qcow2"), "", progress))
                    .hasMessageContaining("is on a loopback address");
            assertThat(server.ranges).isEmpty();
            // Allowed, the same redirect is followed to the disk.
            assertThat(pull.pull(outside.url("anything.qcow2"), "", progress).format()).isEqualTo("qcow2");
        }
    }

    private static java.util.stream.Stream<Path> filesUnder(Path path) {
        try {
            return Files.isDirectory(path) ? Files.walk(path).filter(Files::isRegularFile) : java.util.stream.Stream.of(path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
