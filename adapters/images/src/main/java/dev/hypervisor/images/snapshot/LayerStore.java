package dev.hypervisor.images.snapshot;

import dev.hypervisor.host.FileTrees;
import dev.hypervisor.images.unpack.LayerUnpacker;
import dev.hypervisor.images.unpack.UnpackResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code layers/<chain-id-hex>/diff}: each layer unpacked once (as an overlay lowerdir) and shared
 * by every image whose stack up to it is the same.
 */
final class LayerStore {

    static final String TEMP_PREFIX = ".tmp-";
    private static final Pattern CHAIN_DIR = Pattern.compile("[a-f0-9]{64}");
    private static final Logger log = LoggerFactory.getLogger(LayerStore.class);

    private final Path dir;
    private final LayerApply apply;
    private final ConcurrentHashMap<String, Object> unpacking = new ConcurrentHashMap<>();

    LayerStore(Path dir, LayerApply apply) {
        this.dir = dir;
        this.apply = apply;
    }

    /** The directory holding the layer's {@code diff}, relative to the layers directory's parent. */
    static String relativeDiff(String chainId) {
        return "layers/" + ChainIds.hex(chainId) + "/diff";
    }

    Path diff(String chainId) {
        return dir.resolve(ChainIds.hex(chainId)).resolve("diff");
    }

    /** Makes sure every layer of the stack is unpacked; returns their chain ids, bottom first. */
    List<String> prepare(List<LayerBlob> layers) throws IOException {
        List<String> chain = ChainIds.of(layers.stream().map(LayerBlob::diffId).toList());
        for (int i = 0; i < layers.size(); i++) {
            ensure(chain.get(i), layers.get(i));
        }
        return chain;
    }

    private void ensure(String chainId, LayerBlob layer) throws IOException {
        String hex = ChainIds.hex(chainId);
        Path done = dir.resolve(hex);
        if (Files.isDirectory(done)) {
            return;
        }
        // One unpack per layer in this process; across processes the rename below decides.
        synchronized (unpacking.computeIfAbsent(hex, k -> new Object())) {
            if (Files.isDirectory(done)) {
                return;
            }
            Path temp = dir.resolve(TEMP_PREFIX + hex.substring(0, 12) + "-" + UUID.randomUUID());
            try {
                Path diff = Files.createDirectories(temp.resolve("diff"));
                Files.setAttribute(diff, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
                UnpackResult result = apply.apply(layer.blobFile(), diff, LayerUnpacker.Mode.OVERLAY_DIFF);
                if (!result.diffId().equals(layer.diffId())) {
                    throw new DiffIdMismatchException(layer.blobFile(), layer.diffId(), result.diffId());
                }
                publish(temp, done);
                log.debug("unpacked layer {} ({} entries, {} bytes)", chainId, result.entries(), result.bytes());
            } finally {
                FileTrees.delete(temp);
            }
        }
    }

    /** Renames the finished layer into place; if another process got there first, its copy stays. */
    private static void publish(Path temp, Path done) throws IOException {
        try {
            Files.move(temp, done, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isDirectory(done)) {
                throw e;
            }
            log.debug("layer {} was unpacked concurrently; keeping the first copy", done.getFileName());
        }
    }

    /**
     * Deletes layer directories whose chain id (hex) is not in {@code keep}, and leftovers of
     * unpacks that never finished; the caller guarantees no unpack is running. Returns bytes freed.
     */
    long removeExcept(Set<String> keep) throws IOException {
        List<Path> doomed = new ArrayList<>();
        try (Stream<Path> children = Files.list(dir)) {
            for (Path child : (Iterable<Path>) children::iterator) {
                String name = child.getFileName().toString();
                if (name.startsWith(TEMP_PREFIX) || (CHAIN_DIR.matcher(name).matches() && !keep.contains(name))) {
                    doomed.add(child);
                }
            }
        }
        long freed = 0;
        for (Path child : doomed) {
            Path victim = child;
            if (!child.getFileName().toString().startsWith(TEMP_PREFIX)) {
                // Renamed first, so a crash half way never leaves a partial layer under its real name.
                victim = dir.resolve(TEMP_PREFIX + "gc-" + UUID.randomUUID());
                Files.move(child, victim, StandardCopyOption.ATOMIC_MOVE);
            }
            freed += FileTrees.delete(victim);
            log.debug("removed unused layer {}", child.getFileName());
        }
        return freed;
    }
}
