package dev.hypervisor.images.snapshot;

import dev.hypervisor.host.FileTrees;
import dev.hypervisor.images.unpack.LayerUnpacker;
import dev.hypervisor.images.unpack.UnpackResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writable root filesystems for instances over shared read-only layers, like containerd's overlay
 * snapshotter.
 *
 * <p>Under the root directory: {@code layers/<chain-id-hex>/diff} holds each layer unpacked once
 * ({@link LayerUnpacker.Mode#OVERLAY_DIFF}), shared by every image with the same stack below it;
 * {@code active/<key>/} holds one instance: {@code upper}, {@code work} and the overlay mount
 * {@code merged}, or a private {@code rootfs} copy, and a {@code layers} file listing the chain ids
 * it uses so garbage collection keeps them. Everything appears by atomic rename, so a crash leaves
 * only {@code .tmp-*} leftovers, which {@link #removeUnusedLayers} clears.
 *
 * <p>Without overlayfs (probed once with a tiny mount) or with {@link Options#forceCopy()}, a
 * snapshot is a copy: the layer blobs are applied again, in order, in
 * {@link LayerUnpacker.Mode#MERGED} mode. Copying the shared diffs would carry their overlay
 * whiteouts (0:0 devices, opaque xattrs) into the copy; one more unpack per instance is the simple
 * correct choice.
 *
 * <p>Thread-safe; one instance per root directory.
 */
public final class Snapshotter {

    /**
     * How snapshots are made.
     *
     * @param forceCopy never use overlayfs, even where it works
     */
    public record Options(boolean forceCopy) {
        public static Options defaults() {
            return new Options(false);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(Snapshotter.class);
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final String LAYERS_FILE = "layers";
    private static final int UNMOUNT_ATTEMPTS = 8;

    private final Path root;
    private final Path activeDir;
    private final LayerStore layers;
    private final LayerApply apply;
    private final Options options;
    // Creating and removing snapshots read-lock; garbage collection write-locks, so it never
    // deletes a layer between its unpack and the layers file that claims it.
    private final ReentrantReadWriteLock gcLock = new ReentrantReadWriteLock();
    private final ConcurrentHashMap<String, Object> keyLocks = new ConcurrentHashMap<>();
    private final Object probeLock = new Object();
    private volatile Boolean overlayWorks;

    public Snapshotter(Path root, LayerUnpacker unpacker, Options options) throws IOException {
        this(root, unpacker::unpack, options);
    }

    Snapshotter(Path root, LayerApply apply, Options options) throws IOException {
        this.root = Files.createDirectories(root).toRealPath();
        this.activeDir = privateDir(this.root.resolve("active"));
        this.layers = new LayerStore(privateDir(this.root.resolve("layers")), apply);
        this.apply = apply;
        this.options = options;
    }

    /**
     * Unpacks the layers that are not there yet, checking each DiffID; returns the top chain id.
     * In copy mode there are no shared layer directories: nothing is unpacked here, and DiffIDs
     * are checked when a snapshot is created.
     */
    public String prepareLayers(List<LayerBlob> blobs) throws IOException {
        requireLayers(blobs);
        gcLock.readLock().lock();
        try {
            List<String> chain = options.forceCopy() || !overlayWorks()
                    ? ChainIds.of(blobs.stream().map(LayerBlob::diffId).toList())
                    : layers.prepare(blobs);
            return chain.get(chain.size() - 1);
        } finally {
            gcLock.readLock().unlock();
        }
    }

    /**
     * Creates the snapshot {@code key} over the layers (bottom first) and mounts it. Creating an
     * existing key with the same layers returns it (re-mounted if needed); with other layers fails.
     */
    public Rootfs create(String key, List<LayerBlob> blobs) throws IOException {
        requireKey(key);
        requireLayers(blobs);
        List<String> chain = ChainIds.of(blobs.stream().map(LayerBlob::diffId).toList());
        synchronized (lockFor(key)) {
            Path dir = activeDir.resolve(key);
            if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                if (readChain(dir).equals(chain)) {
                    return find(key).orElseThrow();
                }
                throw new FileAlreadyExistsException(dir.toString(), null, "snapshot exists with other layers");
            }
            gcLock.readLock().lock();
            try {
                boolean overlay = useOverlay(key, chain);
                Path temp = activeDir.resolve(LayerStore.TEMP_PREFIX + key + "-" + UUID.randomUUID());
                try {
                    Files.createDirectory(temp);
                    if (overlay) {
                        layers.prepare(blobs);
                        overlayDirs(temp, chain);
                    } else {
                        copy(temp, blobs);
                    }
                    writeChain(temp, chain);
                    Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    FileTrees.delete(temp);
                }
                if (!overlay) {
                    return new Rootfs(dir.resolve("rootfs"), false);
                }
                try {
                    mount(key, chain);
                } catch (IOException e) {
                    FileTrees.delete(dir);
                    throw e;
                }
                return new Rootfs(dir.resolve("merged"), true);
            } finally {
                gcLock.readLock().unlock();
            }
        }
    }

    /** Unmounts and deletes the snapshot; nothing to do if it does not exist. */
    public void remove(String key) throws IOException {
        requireKey(key);
        synchronized (lockFor(key)) {
            Path dir = activeDir.resolve(key);
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Path merged = dir.resolve("merged");
            for (int i = 0; i < UNMOUNT_ATTEMPTS && Overlay.isMounted(merged); i++) {
                Overlay.unmount(merged); // mounts can be stacked; each umount removes one
            }
            List<Path> mounts = Overlay.mountsUnder(dir);
            if (!mounts.isEmpty()) {
                throw new IOException("snapshot " + key + " still has mounts, not deleting it: " + mounts);
            }
            gcLock.readLock().lock();
            try {
                // Renamed first: a crash half way leaves a .tmp leftover, not a broken snapshot.
                Path doomed = activeDir.resolve(LayerStore.TEMP_PREFIX + "rm-" + UUID.randomUUID());
                Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
                FileTrees.delete(doomed);
            } finally {
                gcLock.readLock().unlock();
            }
        }
    }

    /** Whether the snapshot exists, mounted or not. */
    public boolean exists(String key) {
        requireKey(key);
        return Files.isRegularFile(activeDir.resolve(key).resolve(LAYERS_FILE), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * The snapshot's root filesystem, or empty if there is none. An overlay whose mount is gone
     * (host reboot, daemon crash) is mounted again over its surviving upper directory.
     */
    public Optional<Rootfs> find(String key) throws IOException {
        requireKey(key);
        synchronized (lockFor(key)) {
            Path dir = activeDir.resolve(key);
            if (!exists(key)) {
                return Optional.empty();
            }
            if (Files.isDirectory(dir.resolve("rootfs"), LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(new Rootfs(dir.resolve("rootfs"), false));
            }
            Path merged = dir.resolve("merged");
            if (!Overlay.isMounted(merged)) {
                List<String> chain = readChain(dir);
                for (String chainId : chain) {
                    if (!Files.isDirectory(layers.diff(chainId))) {
                        throw new NoSuchFileException(layers.diff(chainId).toString(), null,
                                "layer of snapshot " + key + " is missing; remove and create it again");
                    }
                }
                log.info("mounting snapshot {} again; its mount was gone", key);
                mount(key, chain);
            }
            return Optional.of(new Rootfs(merged, true));
        }
    }

    /**
     * Deletes layer directories that neither {@code chainIdsInUse} ({@code sha256:<hex>} or bare
     * hex) nor any existing snapshot uses, and leftovers of interrupted work; returns bytes freed.
     */
    public long removeUnusedLayers(Set<String> chainIdsInUse) throws IOException {
        Set<String> keep = new HashSet<>();
        for (String chainId : chainIdsInUse) {
            keep.add(ChainIds.hex(chainId));
        }
        gcLock.writeLock().lock();
        try {
            // Nothing is being created or removed now, so every temporary directory is a leftover.
            long freed = deleteLeftovers(activeDir, LayerStore.TEMP_PREFIX)
                    + deleteLeftovers(root, Overlay.PROBE_PREFIX);
            // A snapshot whose layers file cannot be read stops the collection: keeping a layer
            // too many is better than deleting one that is mounted.
            try (Stream<Path> snapshots = Files.list(activeDir)) {
                for (Path snapshot : (Iterable<Path>) snapshots::iterator) {
                    for (String chainId : readChain(snapshot)) {
                        keep.add(ChainIds.hex(chainId));
                    }
                }
            }
            return freed + layers.removeExcept(keep);
        } finally {
            gcLock.writeLock().unlock();
        }
    }

    private static long deleteLeftovers(Path dir, String prefix) throws IOException {
        List<Path> leftovers;
        try (Stream<Path> list = Files.list(dir)) {
            leftovers = list.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        }
        long freed = 0;
        for (Path leftover : leftovers) {
            if (Overlay.mountsUnder(leftover).isEmpty()) {
                freed += FileTrees.delete(leftover);
            }
        }
        return freed;
    }

    private boolean useOverlay(String key, List<String> chain) {
        if (options.forceCopy() || !overlayWorks()) {
            return false;
        }
        if (overlayOptions(key, chain).length() > Overlay.MAX_OPTIONS_LENGTH) {
            log.warn("snapshot {} has {} layers, too many for one overlay mount; making a copy", key, chain.size());
            return false;
        }
        return true;
    }

    private boolean overlayWorks() {
        Boolean known = overlayWorks;
        if (known == null) {
            synchronized (probeLock) {
                if (overlayWorks == null) {
                    overlayWorks = Overlay.probe(root);
                }
                known = overlayWorks;
            }
        }
        return known;
    }

    /** upper (owned and moded like the top layer's root, which it will stand for), work, merged. */
    private void overlayDirs(Path dir, List<String> chain) throws IOException {
        Map<String, Object> top = Files.readAttributes(layers.diff(chain.get(chain.size() - 1)), "unix:mode,uid,gid",
                LinkOption.NOFOLLOW_LINKS);
        Path upper = Files.createDirectory(dir.resolve("upper"));
        Files.setAttribute(upper, "unix:uid", top.get("uid"), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(upper, "unix:gid", top.get("gid"), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(upper, "unix:mode", (Integer) top.get("mode") & 07777, LinkOption.NOFOLLOW_LINKS);
        Files.createDirectory(dir.resolve("work"));
        Files.setAttribute(Files.createDirectory(dir.resolve("merged")), "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
    }

    private void copy(Path dir, List<LayerBlob> blobs) throws IOException {
        Path rootfs = Files.createDirectory(dir.resolve("rootfs"));
        Files.setAttribute(rootfs, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
        for (LayerBlob blob : blobs) {
            UnpackResult result = apply.apply(blob.blobFile(), rootfs, LayerUnpacker.Mode.MERGED);
            if (!result.diffId().equals(blob.diffId())) {
                throw new DiffIdMismatchException(blob.blobFile(), blob.diffId(), result.diffId());
            }
        }
    }

    private void mount(String key, List<String> chain) throws IOException {
        Overlay.mount(root, overlayOptions(key, chain), activeDir.resolve(key).resolve("merged"));
    }

    /** Options with paths relative to the root directory, where mount(8) runs. */
    private static String overlayOptions(String key, List<String> chain) {
        List<String> lowers = new ArrayList<>(chain.size());
        for (int i = chain.size() - 1; i >= 0; i--) {
            lowers.add(LayerStore.relativeDiff(chain.get(i))); // overlayfs wants the top-most first
        }
        return Overlay.options(lowers, "active/" + key + "/upper", "active/" + key + "/work");
    }

    /**
     * Written and synced before the snapshot is renamed into place: after a crash, an empty
     * layers file would let garbage collection delete the layers the snapshot still mounts.
     */
    private static void writeChain(Path dir, List<String> chain) throws IOException {
        byte[] text = (String.join("\n", chain) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel file = FileChannel.open(dir.resolve(LAYERS_FILE), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(text));
            file.force(true);
        }
    }

    private static List<String> readChain(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve(LAYERS_FILE), StandardCharsets.UTF_8).stream()
                .filter(line -> !line.isBlank())
                .toList();
    }

    private Object lockFor(String key) {
        return keyLocks.computeIfAbsent(key, k -> new Object());
    }

    private static Path privateDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        // Layers hold setuid binaries of images; host users must not reach them.
        Files.setAttribute(dir, "unix:mode", 0700, LinkOption.NOFOLLOW_LINKS);
        return dir;
    }

    private static void requireKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("invalid snapshot key '" + key
                    + "' (letters, digits, '.', '_', '-'; up to 128; not starting with '.', '_' or '-')");
        }
    }

    private static void requireLayers(List<LayerBlob> blobs) {
        if (blobs == null || blobs.isEmpty()) {
            throw new IllegalArgumentException("a snapshot needs at least one layer");
        }
    }
}
