package dev.hypervisor.images.unpack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.images.unpack.LayerTar.Compression;
import dev.hypervisor.images.unpack.LayerUnpacker.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WhiteoutTest {

    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;

    private final LayerUnpacker unpacker = new LayerUnpacker(UnpackLimits.defaults());

    @TempDir
    Path tmp;

    /** Lower content every test starts from. */
    private static LayerTar lower() {
        return new LayerTar()
                .dir("etc").file("etc/old.conf", "old").file("etc/keep.conf", "keep")
                .dir("var").dir("var/cache").dir("var/cache/apt").file("var/cache/apt/pkgcache.bin", "big")
                .dir("opt").file("opt/lower-only", "lower").dir("opt/sub").file("opt/sub/lower-deep", "lower")
                .file("opt/shared", "from lower");
    }

    /** Whiteouts of a file and a directory, and an opaque directory whose marker comes last. */
    private static LayerTar upper() {
        return new LayerTar()
                .whiteout("etc/old.conf")
                .whiteout("var/cache")
                .dir("opt")
                .file("opt/shared", "from upper")
                .dir("opt/sub")
                .file("opt/sub/upper-deep", "upper")
                .file("opt/new", "upper")
                .opaque("opt");
    }

    @Test
    void mergedWhiteoutDeletesAFileAndADirectoryRecursively() throws Exception {
        Path root = merged(List.of(lower(), upper()));

        assertThat(root.resolve("etc/old.conf")).doesNotExist();
        assertThat(root.resolve("etc/keep.conf")).hasContent("keep");
        assertThat(root.resolve("var/cache")).doesNotExist();
        assertThat(root.resolve("var")).isDirectory();
        assertThat(Files.list(root.resolve("etc")).map(p -> p.getFileName().toString()))
                .noneMatch(name -> name.startsWith(".wh."));
    }

    @Test
    void mergedOpaqueDirectoryKeepsTheSameLayersEntriesEvenWhenItsMarkerComesLast() throws Exception {
        Path root = merged(List.of(lower(), upper()));

        assertThat(FsTree.describe(root.resolve("opt")).keySet())
                .containsExactlyInAnyOrder("new", "shared", "sub", "sub/upper-deep");
        assertThat(root.resolve("opt/shared")).hasContent("from upper");
    }

    @Test
    void mergedWhiteoutSparesAnEntryOfTheSameLayer() throws Exception {
        Path root = merged(List.of(
                new LayerTar().dir("d").file("d/lower", "l").file("f", "lower"),
                new LayerTar().dir("d").file("d/upper", "u").file("f", "upper").whiteout("d").whiteout("f")));

        assertThat(FsTree.describe(root.resolve("d")).keySet()).containsExactly("upper");
        assertThat(root.resolve("f")).hasContent("upper");
    }

    @Test
    void overlayDiffRecordsAWhiteoutAsACharDevice00AndAnOpaqueDirectoryAsAnXattr() throws Exception {
        Path diff = Files.createDirectory(tmp.resolve("diff"));

        unpacker.unpack(upper().write(tmp.resolve("upper.tar"), Compression.GZIP), diff, Mode.OVERLAY_DIFF);

        for (String whiteout : List.of("etc/old.conf", "var/cache")) {
            Map<String, Object> unix = FsTree.unix(diff.resolve(whiteout));
            assertThat((Integer) unix.get("mode") & S_IFMT).as(whiteout).isEqualTo(S_IFCHR);
            assertThat(unix.get("rdev")).as(whiteout).isEqualTo(0L);
        }
        assertThat(FsTree.xattrHex(diff.resolve("opt"), "trusted.overlay.opaque")).isEqualTo("0x79");
        assertThat(FsTree.xattrHex(diff.resolve("etc"), "trusted.overlay.opaque")).isNull();
        assertThat(diff.resolve("opt/sub/upper-deep")).hasContent("upper");
    }

    @Test
    void overlayOfTheDiffsShowsExactlyWhatMergedUnpackingBuilds() throws Exception {
        List<LayerTar> layers = List.of(lower(), upper(), new LayerTar()
                .whiteout("opt/sub").dir("etc").file("etc/old.conf", "back again")
                // a name whited out and re-created in one layer, in both orders
                .whiteout("var").dir("var").file("var/new", "fresh")
                .dir("opt").file("opt/late", "late").whiteout("opt"));
        Path expected = merged(layers);
        StringBuilder lowerdir = new StringBuilder();
        for (int i = 0; i < layers.size(); i++) {
            Path diff = Files.createDirectory(tmp.resolve("diff" + i));
            unpacker.unpack(layers.get(i).write(tmp.resolve("diff" + i + ".tar"), Compression.NONE), diff,
                    Mode.OVERLAY_DIFF);
            lowerdir.insert(0, diff + (i == 0 ? "" : ":")); // overlayfs lists the top-most first
        }
        Path mount = Files.createDirectory(tmp.resolve("mnt"));
        run("mount", "-t", "overlay", "overlay", "-o", "ro,lowerdir=" + lowerdir, mount.toString());
        try {
            assertThat(FsTree.describe(mount)).isEqualTo(FsTree.describe(expected));
            assertThat(mount.resolve("etc/old.conf")).hasContent("back again");
            assertThat(FsTree.describe(mount.resolve("opt")).keySet()).containsExactly("late");
            assertThat(FsTree.describe(mount.resolve("var")).keySet()).containsExactly("new");
        } finally {
            run("umount", mount.toString());
        }
    }

    private Path merged(List<LayerTar> layers) throws IOException {
        Path root = Files.createDirectory(tmp.resolve("merged"));
        int i = 0;
        for (LayerTar layer : layers) {
            unpacker.unpack(layer.write(tmp.resolve("merged" + i++ + ".tar"), Compression.NONE), root, Mode.MERGED);
        }
        return root;
    }

    static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + ": " + output);
        }
    }
}
