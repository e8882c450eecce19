package dev.hypervisor.images.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.images.unpack.FsTree;
import dev.hypervisor.images.unpack.LayerTar;
import dev.hypervisor.images.unpack.LayerTar.Compression;
import dev.hypervisor.images.unpack.LayerUnpacker;
import dev.hypervisor.images.unpack.LayerUnpacker.Mode;
import dev.hypervisor.images.unpack.UnpackLimits;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotterTest {

    @TempDir
    Path tmp;

    private final LayerUnpacker unpacker = new LayerUnpacker(UnpackLimits.defaults());
    private final AtomicInteger diffUnpacks = new AtomicInteger();
    private final LayerApply counting = (blob, target, mode) -> {
        if (mode == Mode.OVERLAY_DIFF) {
            diffUnpacks.incrementAndGet();
        }
        return unpacker.unpack(blob, target, mode);
    };

    private Path root;
    private Snapshotter snapshots;
    private LayerBlob base;
    private LayerBlob appA;
    private LayerBlob appB;

    @BeforeEach
    void layers() throws Exception {
        root = tmp.resolve("snapshots");
        snapshots = new Snapshotter(root, counting, Snapshotter.Options.defaults());
        Files.createDirectories(tmp.resolve("blobs"));
        base = blob("base", new LayerTar()
                .dir("etc").file("etc/os-release", "ID=base\n").file("etc/motd", "hello from base\n")
                .dir("bin").file("bin/sh", "#!sh\n", 0755)
                .dir("tmp", 01777)
                .dir("opt").dir("opt/data").file("opt/data/a", "a").file("opt/data/b", "b")
                .dir("var").dir("var/lib").dir("var/lib/removed").file("var/lib/removed/file", "gone"));
        appA = blob("app-a", new LayerTar()
                .dir("etc").file("etc/motd", "hello from app a\n")
                .whiteout("var/lib/removed")
                .dir("opt/data").opaque("opt/data").file("opt/data/c", "c")
                .dir("usr").file("usr/app-a", "a", 0755));
        appB = blob("app-b", new LayerTar().dir("usr").file("usr/app-b", "b", 0755));
    }

    @AfterEach
    void unmountLeftovers() throws Exception {
        List<Path> mounts = new ArrayList<>(Overlay.mountsUnder(tmp));
        for (int i = mounts.size() - 1; i >= 0; i--) {
            Overlay.unmount(mounts.get(i));
        }
    }

    @Test
    void imagesSharingABaseLayerShareItsDirectoryUnpackedOnce() throws Exception {
        String topA = snapshots.prepareLayers(List.of(base, appA));
        Object baseInode = Files.readAttributes(layerDir(base.diffId()), "unix:ino").get("ino");

        String topB = snapshots.prepareLayers(List.of(base, appB));

        assertThat(diffUnpacks).hasValue(3);
        assertThat(layerNames()).hasSize(3);
        assertThat(Files.readAttributes(layerDir(base.diffId()), "unix:ino").get("ino")).isEqualTo(baseInode);
        assertThat(topA).isEqualTo(ChainIds.of(List.of(base.diffId(), appA.diffId())).get(1)).isNotEqualTo(topB);
    }

    @Test
    void createMountsUpperLayersOverLowerOnesWithWhiteoutsHonoured() throws Exception {
        Rootfs rootfs = snapshots.create("web-1", List.of(base, appA));

        Path fs = rootfs.path();
        assertThat(rootfs.overlay()).isTrue();
        assertThat(Overlay.isMounted(fs)).isTrue();
        assertThat(fs.resolve("etc/motd")).hasContent("hello from app a\n");
        assertThat(fs.resolve("etc/os-release")).hasContent("ID=base\n");
        assertThat(fs.resolve("var/lib/removed")).doesNotExist();
        assertThat(FsTree.describe(fs.resolve("opt/data")).keySet()).containsExactly("c");
        assertThat((Integer) FsTree.unix(fs.resolve("tmp")).get("mode") & 07777).isEqualTo(01777);
        assertThat(snapshots.exists("web-1")).isTrue();
    }

    @Test
    void writesInOneInstanceAreInvisibleToAnotherAndToTheLayers() throws Exception {
        Path one = snapshots.create("one", List.of(base, appA)).path();
        Path two = snapshots.create("two", List.of(base, appA)).path();
        var layersBefore = FsTree.describe(root.resolve("layers"));
        var twoBefore = FsTree.describe(two);

        Files.writeString(one.resolve("etc/motd"), "changed in one\n");
        Files.writeString(one.resolve("new-file"), "only in one");
        Files.delete(one.resolve("etc/os-release"));

        assertThat(FsTree.describe(two)).isEqualTo(twoBefore);
        assertThat(FsTree.describe(root.resolve("layers"))).isEqualTo(layersBefore);
        assertThat(one.resolve("etc/motd")).hasContent("changed in one\n");
    }

    @Test
    void removeUnmountsAndDeletesAndCanBeRepeated() throws Exception {
        Path merged = snapshots.create("gone", List.of(base)).path();

        snapshots.remove("gone");

        assertThat(Overlay.isMounted(merged)).isFalse();
        assertThat(root.resolve("active/gone")).doesNotExist();
        assertThat(snapshots.exists("gone")).isFalse();
        assertThat(snapshots.find("gone")).isEmpty();
        snapshots.remove("gone");
        assertThat(activeNames()).isEmpty();
    }

    @Test
    void findMountsAgainWhenTheMountWasLostKeepingTheInstancesWrites() throws Exception {
        Path merged = snapshots.create("survivor", List.of(base, appA)).path();
        Files.writeString(merged.resolve("written-before"), "kept in upper");
        Overlay.unmount(merged);
        assertThat(Overlay.isMounted(merged)).isFalse();

        Rootfs found = snapshots.find("survivor").orElseThrow();

        assertThat(found.path()).isEqualTo(merged);
        assertThat(Overlay.isMounted(merged)).isTrue();
        assertThat(merged.resolve("written-before")).hasContent("kept in upper");
        assertThat(merged.resolve("etc/motd")).hasContent("hello from app a\n");
    }

    @Test
    void createIsIdempotentForTheSameLayersAndRefusesOthers() throws Exception {
        Rootfs first = snapshots.create("same", List.of(base, appA));
        Overlay.unmount(first.path());

        assertThat(snapshots.create("same", List.of(base, appA))).isEqualTo(first);
        assertThat(Overlay.isMounted(first.path())).isTrue();
        assertThatThrownBy(() -> snapshots.create("same", List.of(base, appB)))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> snapshots.create("../escape", List.of(base)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void removeUnusedLayersKeepsLayersOfSnapshotsAndOfTheGivenChains() throws Exception {
        snapshots.create("active", List.of(base, appA));
        String topB = snapshots.prepareLayers(List.of(base, appB));

        assertThat(snapshots.removeUnusedLayers(Set.of(topB))).isZero();
        assertThat(layerNames()).hasSize(3);

        assertThat(snapshots.removeUnusedLayers(Set.of())).isEqualTo(1); // app-b's one-byte file
        assertThat(layerNames()).containsExactlyInAnyOrderElementsOf(hexes(base, appA));
        assertThat(snapshots.find("active").orElseThrow().path().resolve("usr/app-a")).hasContent("a");

        snapshots.remove("active");
        assertThat(snapshots.removeUnusedLayers(Set.of())).isPositive();
        assertThat(layerNames()).isEmpty();
    }

    @Test
    void forcedCopyGivesTheSameViewAsTheOverlay() throws Exception {
        Rootfs overlay = snapshots.create("overlay", List.of(base, appA));
        Snapshotter copies = new Snapshotter(tmp.resolve("copies"), counting, new Snapshotter.Options(true));

        Rootfs copy = copies.create("copy", List.of(base, appA));

        assertThat(copy.overlay()).isFalse();
        assertThat(Overlay.mountsUnder(tmp.resolve("copies"))).isEmpty();
        assertThat(FsTree.describe(copy.path())).isEqualTo(FsTree.describe(overlay.path()));
        assertThat(copies.find("copy")).contains(copy);
        copies.remove("copy");
        assertThat(copies.exists("copy")).isFalse();
    }

    @Test
    void concurrentPrepareOfTheSameLayersUnpacksEachOnce() throws Exception {
        List<Callable<String>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(() -> snapshots.prepareLayers(List.of(base, appA)));
        }

        List<String> tops = runAll(calls);

        assertThat(tops).containsOnly(tops.get(0));
        assertThat(diffUnpacks).hasValue(2);
        assertThat(layerNames()).containsExactlyInAnyOrderElementsOf(hexes(base, appA));
    }

    @Test
    void concurrentUnpacksFromTwoSnapshottersEndWithOneCopyEach() throws Exception {
        Snapshotter other = new Snapshotter(root, counting, Snapshotter.Options.defaults());
        List<Callable<String>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Snapshotter s = i % 2 == 0 ? snapshots : other;
            calls.add(() -> s.prepareLayers(List.of(base, appA)));
        }

        runAll(calls);

        assertThat(layerNames()).containsExactlyInAnyOrderElementsOf(hexes(base, appA));
        assertThat(snapshots.create("after-race", List.of(base, appA)).path().resolve("usr/app-a")).hasContent("a");
    }

    @Test
    void aBlobWhoseDiffIdDiffersIsRefusedAndLeavesNothing() throws Exception {
        LayerBlob wrong = new LayerBlob(appA.blobFile(), appB.diffId());

        assertThatThrownBy(() -> snapshots.prepareLayers(List.of(base, wrong)))
                .isInstanceOf(DiffIdMismatchException.class);
        assertThatThrownBy(() -> snapshots.create("bad", List.of(wrong)))
                .isInstanceOf(DiffIdMismatchException.class);
        assertThat(layerNames()).containsExactlyInAnyOrderElementsOf(hexes(base));
        assertThat(activeNames()).isEmpty();
    }

    @Test
    void fortyLayersStillMountAsOneOverlay() throws Exception {
        List<LayerBlob> layers = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            layers.add(blob("layer-" + i, new LayerTar().dir("layers").file("layers/" + i, "layer " + i)));
        }

        Rootfs rootfs = snapshots.create("tall", layers);

        assertThat(rootfs.overlay()).isTrue();
        try (Stream<Path> files = Files.list(rootfs.path().resolve("layers"))) {
            assertThat(files.count()).isEqualTo(40);
        }
    }

    private LayerBlob blob(String name, LayerTar layer) throws Exception {
        Path file = layer.write(tmp.resolve("blobs").resolve(name + ".tar.gz"), Compression.GZIP);
        return new LayerBlob(file, "sha256:" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(layer.tar())));
    }

    private Path layerDir(String chainId) {
        return root.resolve("layers").resolve(ChainIds.hex(chainId));
    }

    private List<String> hexes(LayerBlob... stack) {
        return ChainIds.of(Stream.of(stack).map(LayerBlob::diffId).toList()).stream().map(ChainIds::hex).toList();
    }

    private List<String> layerNames() throws IOException {
        return names(root.resolve("layers"));
    }

    private List<String> activeNames() throws IOException {
        return names(root.resolve("active"));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static <T> List<T> runAll(List<Callable<T>> calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            List<T> results = new ArrayList<>();
            for (Future<T> future : pool.invokeAll(calls)) {
                results.add(future.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
