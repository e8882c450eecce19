package dev.hypervisor.images.unpack;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.hypervisor.host.FileTrees;
import dev.hypervisor.images.unpack.LayerTar.Compression;
import dev.hypervisor.images.unpack.LayerUnpacker.Mode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * Any layer blob, well-formed or not, is applied inside its target or refused with an
 * IOException (UnsafeLayerException and LayerTooLargeException being the image's fault), within
 * a bounded time, and nothing outside the target changes: not a sibling directory that lower-layer
 * symlinks point into, not a file a hard link could reach. Layers are built entry by entry from
 * the fuzzer's choices (names that climb, whiteouts, links into the sentinel, PAX xattrs, then
 * compressed and perhaps damaged), or taken as raw bytes. Seeds and kept findings are in
 * {@code LayerUnpackerFuzzTestInputs/}; fuzz with {@code scripts/fuzz.sh}.
 */
class LayerUnpackerFuzzTest {

    private static final UnpackLimits LIMITS = new UnpackLimits(4 << 20, 256);
    private static final long BOUND_SECONDS = 10;
    private static final ExecutorService UNPACKS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fuzzed-unpack");
        t.setDaemon(true);
        return t;
    });
    // Path components: ones that climb, whiteout names, the lower layer's symlinks into the sentinel.
    private static final List<String> PARTS = List.of("a", "b", "d", "f", "keep", "out", "abs", "up", "..", ".", "",
            ".wh.a", ".wh.d", ".wh..wh..opq", ".wh..wh.plnk", "é", "x".repeat(120));

    @TempDir
    Path tmp;

    @FuzzTest(maxDuration = "10s")
    void noLayerWritesOutsideItsTarget(FuzzedDataProvider data) throws Exception {
        Path work = Files.createTempDirectory(tmp, "unpack");
        try {
            Path target = Files.createDirectory(work.resolve("target"));
            Path sentinel = Files.createDirectory(work.resolve("sentinel"));
            Files.writeString(sentinel.resolve("keep"), "untouched");
            Files.createDirectory(sentinel.resolve("victim"));
            Mode mode = data.consumeBoolean() ? Mode.MERGED : Mode.OVERLAY_DIFF;
            if (mode == Mode.MERGED) {
                lowerLayer(target, sentinel);
            }
            SortedMap<String, String> before = FsTree.describe(sentinel);
            Path blob = work.resolve("blob");
            if (!writeBlob(data, blob, sentinel)) {
                return;
            }

            unpackWithinBound(blob, target, mode);

            assertThat(FsTree.describe(sentinel)).as("the sentinel beside the target").isEqualTo(before);
            assertThat(Files.getAttribute(sentinel.resolve("keep"), "unix:nlink", LinkOption.NOFOLLOW_LINKS))
                    .as("links to the sentinel's file").isEqualTo(1);
            try (Stream<Path> siblings = Files.list(work)) {
                assertThat(siblings.map(p -> p.getFileName().toString()))
                        .containsExactlyInAnyOrder("target", "sentinel", "blob");
            }
        } finally {
            FileTrees.delete(work);
        }
    }

    /** What lower layers left in a MERGED target: symlinks out of it, which extraction must never follow. */
    private static void lowerLayer(Path target, Path sentinel) throws IOException {
        Files.createSymbolicLink(target.resolve("out"), Path.of("../sentinel"));
        Files.createSymbolicLink(target.resolve("abs"), sentinel);
        Files.createDirectory(target.resolve("d"));
        Files.writeString(target.resolve("d/f"), "lower");
        Files.createSymbolicLink(target.resolve("d/up"), Path.of("../../sentinel"));
    }

    private static void unpackWithinBound(Path blob, Path target, Mode mode) throws Exception {
        Future<UnpackResult> unpack = UNPACKS.submit(() -> new LayerUnpacker(LIMITS).unpack(blob, target, mode));
        try {
            unpack.get(BOUND_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            unpack.cancel(true);
            throw new AssertionError("the unpack did not end within " + BOUND_SECONDS + " s");
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof IOException)) {
                throw new AssertionError("the unpack failed with an undocumented exception", e.getCause());
            }
        }
    }

    /** The layer blob: raw bytes, or a tar built from the fuzzer's choices; false if it cannot be built. */
    private static boolean writeBlob(FuzzedDataProvider data, Path blob, Path sentinel) throws IOException {
        if (data.consumeBoolean()) {
            Files.write(blob, data.consumeRemainingAsBytes());
            return true;
        }
        LayerTar layer = new LayerTar();
        int entries = data.consumeInt(0, 10);
        for (int i = 0; i < entries; i++) {
            addEntry(layer, data, sentinel);
        }
        Compression compression = data.pickValue(Compression.values());
        int damage = data.consumeInt(0, 3);
        try {
            layer.write(blob, compression);
        } catch (IOException | RuntimeException e) {
            return false; // the test's own tar writer refused the entries; nothing to unpack
        }
        byte[] bytes = Files.readAllBytes(blob);
        for (int i = 0; i < damage && bytes.length > 0; i++) {
            if (data.consumeBoolean()) {
                bytes = Arrays.copyOf(bytes, data.consumeInt(0, bytes.length - 1));
            } else if (bytes.length > 0) {
                bytes[data.consumeInt(0, bytes.length - 1)] ^= (byte) (1 << data.consumeInt(0, 7));
            }
        }
        Files.write(blob, bytes);
        return true;
    }

    private static void addEntry(LayerTar layer, FuzzedDataProvider data, Path sentinel) {
        String name = path(data);
        int mode = data.consumeInt(0, 07777);
        switch (data.consumeInt(0, 8)) {
            case 0 -> {
                int uid = data.consumeInt(0, 70_000);
                int gid = data.consumeInt(0, 70_000);
                layer.file(name, data.consumeString(64), mode, e -> e.setIds(uid, gid));
            }
            case 1 -> layer.dir(name, mode);
            case 2 -> layer.symlink(name, linkTarget(data, sentinel));
            case 3 -> layer.hardLink(name, data.consumeBoolean() ? path(data) : linkTarget(data, sentinel));
            case 4 -> layer.whiteout(name);
            case 5 -> layer.opaque(name);
            case 6 -> layer.fifo(name);
            case 7 -> layer.charDevice(name, data.consumeInt(0, 255), data.consumeInt(0, 255));
            default -> {
                String key = data.pickValue(List.of("user.k", "trusted.overlay.opaque", "trusted.overlay.redirect",
                        "security.capability", "SCHILY.xattr.", "path", "linkpath", "size", "uid", "mtime"));
                String record = key.startsWith("user.") || key.startsWith("trusted.") || key.startsWith("security.")
                        ? "SCHILY.xattr." + key : key;
                layer.rawPax(Map.of(record, data.consumeString(32).getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    private static String path(FuzzedDataProvider data) {
        StringBuilder path = new StringBuilder(data.pickValue(List.of("", "", "/", "./")));
        int parts = data.consumeInt(1, 4);
        for (int i = 0; i < parts; i++) {
            path.append(i == 0 ? "" : "/").append(data.pickValue(PARTS));
        }
        return path.toString();
    }

    private static String linkTarget(FuzzedDataProvider data, Path sentinel) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> sentinel.toString();
            case 1 -> sentinel + "/keep";
            case 2 -> "../".repeat(data.consumeInt(0, 3)) + "sentinel/keep";
            default -> path(data);
        };
    }
}
