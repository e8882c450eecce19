package dev.hypervisor.images.unpack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.images.unpack.LayerTar.Compression;
import dev.hypervisor.images.unpack.LayerUnpacker.Mode;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SortedMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Hostile layers: each is refused or neutralised, and nothing appears outside the target. */
class MaliciousLayerTest {

    @TempDir
    Path tmp;

    private Path target;
    private Path sentinel;
    private SortedMap<String, String> sentinelBefore;
    private SortedMap<String, String> siblingsBefore;
    // A unique host path that a successful escape would create.
    private final String evilName = "hvd-evil-" + UUID.randomUUID();

    @BeforeEach
    void createTargetAndSentinel() throws Exception {
        target = Files.createDirectory(tmp.resolve("target"));
        sentinel = Files.createDirectory(tmp.resolve("sentinel"));
        Files.writeString(sentinel.resolve("keep"), "untouched");
        Files.createDirectory(sentinel.resolve("victim"));
        WhiteoutTest.run("mknod", sentinel.resolve("null").toString(), "c", "1", "3");
        sentinelBefore = FsTree.describe(sentinel);
        siblingsBefore = listing(tmp);
    }

    @AfterEach
    void nothingWasWrittenOutsideTheTarget() throws IOException {
        // Removed before asserting, so a regression does not leave files on the host.
        boolean escapedToEtc = Files.deleteIfExists(Path.of("/etc", evilName));
        boolean escapedToRoot = Files.deleteIfExists(Path.of("/", evilName));
        assertThat(escapedToEtc).as("/etc/" + evilName + " was written").isFalse();
        assertThat(escapedToRoot).as("/" + evilName + " was written").isFalse();
        assertThat(FsTree.describe(sentinel)).isEqualTo(sentinelBefore);
        assertThat(listing(tmp)).isEqualTo(siblingsBefore);
    }

    @Test
    void refusesDotDotThatClimbsOut() {
        assertRefused(new LayerTar().file("../escape", "x"), "../escape");
        assertRefused(new LayerTar().dir("a").file("a/../../escape", "x"), "a/../../escape");
    }

    @Test
    void confinesAnAbsoluteNameInsideTheTarget() throws Exception {
        unpack(new LayerTar().file("/etc/" + evilName, "inside"));

        assertThat(target.resolve("etc").resolve(evilName)).hasContent("inside");
    }

    @Test
    void createsAnAbsoluteSymlinkButNeverWritesThroughIt() throws Exception {
        assertRefused(new LayerTar().symlink("link", "/").file("link/etc/" + evilName, "x"), "link/etc/" + evilName);
        assertRefused(new LayerTar().symlink("out", sentinel.toString()).file("out/keep", "overwritten"), "out/keep");
        assertThat(Files.readSymbolicLink(target.resolve("out"))).isEqualTo(sentinel);
    }

    @Test
    void refusesARelativeSymlinkThatClimbsOut() {
        assertRefused(new LayerTar().symlink("link", "../../").file("link/" + evilName, "x"), "link");
        assertRefused(new LayerTar().dir("a").symlink("a/link", "../../sentinel"), "a/link");
    }

    @Test
    void refusesAFileBelowASymlinkThatStaysInside() {
        assertRefused(new LayerTar().dir("a").symlink("a/up", "..").file("a/up/x", "x"), "a/up/x");
    }

    @Test
    void refusesHardLinksToFilesOutsideTheTarget() throws Exception {
        long passwdLinks = (Integer) FsTree.unix(Path.of("/etc/passwd")).get("nlink");

        assertRefused(new LayerTar().hardLink("passwd", "/etc/passwd"), "passwd");
        assertRefused(new LayerTar().hardLink("keep", "../sentinel/keep"), "keep");
        assertRefused(new LayerTar().symlink("s", sentinel.toString()).hardLink("keep", "s/keep"), "keep");

        assertThat(((Integer) FsTree.unix(Path.of("/etc/passwd")).get("nlink")).longValue()).isEqualTo(passwdLinks);
    }

    @Test
    void refusesAnEntryBelowADirectoryThatWasSwappedForASymlink() {
        assertRefused(new LayerTar().dir("d").file("d/ok", "fine").symlink("d", sentinel.toString()).file("d/x", "x"),
                "d/x");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void neverSetsLateDirectoryModesThroughAParentReplacedByASymlink(Mode mode) throws Exception {
        LayerTar layer = new LayerTar().dir("a").dir("a/victim", 0777).symlink("a", sentinel.toString());

        unpacker().unpack(layer.write(tmp.resolve("l.tar"), Compression.NONE), target, mode);

        Files.delete(tmp.resolve("l.tar"));
        assertThat(Files.readSymbolicLink(target.resolve("a"))).isEqualTo(sentinel);
    }

    @Test
    void neverDeletesThroughAParentReplacedByASymlinkWhenAWhiteoutTurnsRedundant() throws Exception {
        // a/null becomes a whiteout device, a becomes a link to the sentinel (holding a real
        // char device "null"), then the root turns opaque, which drops redundant whiteouts.
        LayerTar layer = new LayerTar().dir("a").whiteout("a/null").symlink("a", sentinel.toString()).opaque("");

        unpacker().unpack(layer.write(tmp.resolve("l.tar"), Compression.NONE), target, Mode.OVERLAY_DIFF);

        Files.delete(tmp.resolve("l.tar"));
        assertThat(FsTree.xattrHex(target, "trusted.overlay.opaque")).isEqualTo("0x79");
    }

    @Test
    void replacesAnExistingSymlinkInsteadOfWritingThroughIt() throws Exception {
        Files.createSymbolicLink(target.resolve("f"), sentinel.resolve("keep"));
        Files.createSymbolicLink(target.resolve("d"), sentinel);

        unpack(new LayerTar().file("f", "mine").dir("d").file("d/keep", "mine too"));

        assertThat(target.resolve("f")).isRegularFile().hasContent("mine");
        assertThat(target.resolve("d/keep")).hasContent("mine too");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void neverDeletesOrMarksThroughASymlinkWithAWhiteout(Mode mode) throws Exception {
        Files.createSymbolicLink(target.resolve("l"), sentinel);

        assertThatThrownBy(() -> unpacker().unpack(
                new LayerTar().whiteout("l/keep").write(tmp.resolve("l1.tar"), Compression.NONE), target, mode))
                .isInstanceOf(UnsafeLayerException.class);
        assertThatThrownBy(() -> unpacker().unpack(
                new LayerTar().opaque("l").write(tmp.resolve("l2.tar"), Compression.NONE), target, mode))
                .isInstanceOf(UnsafeLayerException.class);
        Files.delete(tmp.resolve("l1.tar"));
        Files.delete(tmp.resolve("l2.tar"));
        if (mode == Mode.MERGED) {
            unpack(new LayerTar().whiteout("l"));
            assertThat(target.resolve("l")).doesNotExist(); // the link went, its target stayed
        }
    }

    @Test
    void skipsDeviceNodesAndFifos() throws Exception {
        UnpackResult result = unpack(new LayerTar().dir("dev")
                .charDevice("dev/mem", 1, 1).blockDevice("dev/sda", 8, 0).fifo("dev/initctl")
                .charDevice("dev/whiteout-lookalike", 0, 0)
                .file("dev/README", "runtime creates devices"));

        assertThat(result.entries()).isEqualTo(6);
        assertThat(FsTree.describe(target.resolve("dev")).keySet()).containsExactly("README");
    }

    @Test
    void stopsAGzipBombAtTheByteLimitWithoutReadingItAll() throws Exception {
        long size = 1L << 30;
        Path blob = tmp.resolve("bomb.tar.gz");
        try {
            writeZeroBomb(blob, size);
            assertThat(Files.size(blob)).isLessThan(2L << 20);
            long limit = 100L << 20;
            long started = System.nanoTime();

            assertThatThrownBy(() -> new LayerUnpacker(new UnpackLimits(limit, 1000)).unpack(blob, target, Mode.MERGED))
                    .isInstanceOf(LayerTooLargeException.class);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            assertThat(Files.size(target.resolve("zeros"))).isLessThanOrEqualTo(limit);
        } finally {
            Files.deleteIfExists(blob);
        }
    }

    @Test
    void stopsAtTheEntryLimit() throws Exception {
        LayerTar layer = new LayerTar();
        for (int i = 0; i < 1000; i++) {
            layer.file("f" + i, "");
        }
        Path blob = layer.write(tmp.resolve("many.tar"), Compression.NONE);

        assertThatThrownBy(() -> new LayerUnpacker(new UnpackLimits(1L << 30, 100)).unpack(blob, target, Mode.MERGED))
                .isInstanceOf(LayerTooLargeException.class)
                .hasMessageContaining("100 entries");
        Files.delete(blob);
        try (Stream<Path> files = Files.list(target)) {
            assertThat(files.count()).isEqualTo(100);
        }
    }

    @Test
    void stopsAtAnOversizedPaxHeaderBeforeBufferingIt() throws Exception {
        byte[] huge = new byte[XattrTarInputStream.MAX_METADATA_BYTES + 1];
        Path blob = new LayerTar().rawPax(Map.of("comment", huge)).file("f", "x").write(tmp.resolve("pax.tar"),
                Compression.NONE);

        assertThatThrownBy(() -> unpacker().unpack(blob, target, Mode.MERGED))
                .isInstanceOf(LayerTooLargeException.class);
        Files.delete(blob);
    }

    /**
     * A tar holding one file of {@code size} zeros, gzipped as concatenated members (valid gzip,
     * as pigz may write): one 1 MiB member is compressed once and repeated, so the
     * ~1 MB bomb takes well under a second to build and is never whole in memory.
     */
    private static void writeZeroBomb(Path blob, long size) throws IOException {
        int chunk = 1 << 20;
        byte[] header = new byte[512];
        TarArchiveEntry entry = new TarArchiveEntry("zeros");
        entry.setSize(size);
        entry.writeEntryHeader(header);
        byte[] zeros = gzip(new byte[chunk]);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(blob))) {
            out.write(gzip(header));
            for (long written = 0; written < size; written += chunk) {
                out.write(written + chunk <= size ? zeros : gzip(new byte[(int) (size - written)]));
            }
            out.write(gzip(new byte[1024])); // end-of-archive blocks
        }
    }

    private static byte[] gzip(byte[] data) throws IOException {
        GzipParameters best = new GzipParameters();
        best.setCompressionLevel(9);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(bytes, best)) {
            gz.write(data);
        }
        return bytes.toByteArray();
    }

    private UnpackResult unpack(LayerTar layer) throws IOException {
        Path blob = layer.write(tmp.resolve("layer.tar"), Compression.GZIP);
        try {
            return unpacker().unpack(blob, target, Mode.MERGED);
        } finally {
            Files.delete(blob);
        }
    }

    private void assertRefused(LayerTar layer, String entry) {
        assertThatThrownBy(() -> unpack(layer))
                .isInstanceOf(UnsafeLayerException.class)
                .satisfies(e -> assertThat(((UnsafeLayerException) e).entry()).isEqualTo(entry));
    }

    private static LayerUnpacker unpacker() {
        return new LayerUnpacker(UnpackLimits.defaults());
    }

    private SortedMap<String, String> listing(Path dir) throws IOException {
        SortedMap<String, String> all = FsTree.describe(dir);
        all.keySet().removeIf(p -> p.equals("target") || p.startsWith("target/"));
        return all;
    }
}
