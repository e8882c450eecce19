package dev.hypervisor.images.unpack;

import dev.hypervisor.host.FileTrees;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whiteout entries (image-spec layer.md#whiteouts): {@code .wh.NAME} hides NAME of lower layers
 * and {@code .wh..wh..opq} hides all lower content of its directory. MERGED applies them by
 * deleting; OVERLAY_DIFF records them the way overlayfs reads a lowerdir: a 0:0 character
 * device for a removed name and {@code trusted.overlay.opaque=y} on an opaque directory.
 */
final class Whiteouts {

    static final String PREFIX = ".wh.";
    static final String OPAQUE = ".wh..wh..opq";
    private static final String META_PREFIX = ".wh..wh.";
    private static final Logger log = LoggerFactory.getLogger(Whiteouts.class);

    private final TargetTree tree;
    private final LayerUnpacker.Mode mode;
    private final LayerContent content;
    // OVERLAY_DIFF: whiteout devices and opaque directories this layer made so far
    private final Set<EntryPath> devices = new HashSet<>();
    private final Set<String> opaqueDirs = new HashSet<>();

    Whiteouts(TargetTree tree, LayerUnpacker.Mode mode, LayerContent content) {
        this.tree = tree;
        this.mode = mode;
        this.content = content;
    }

    static boolean isWhiteout(EntryPath path) {
        return !path.isRoot() && path.name().startsWith(PREFIX);
    }

    void apply(EntryPath whiteout, String entry) throws IOException {
        String base = whiteout.name();
        EntryPath dirPath = whiteout.parent();
        // The directory that holds the whiteout, reached without following symlinks: a
        // whiteout must never delete through a link.
        Path dir = tree.parentOf(whiteout, entry, mode == LayerUnpacker.Mode.OVERLAY_DIFF);
        if (base.equals(OPAQUE)) {
            if (dir != null) {
                opaque(dir, dirPath);
            }
            return;
        }
        if (base.startsWith(META_PREFIX)) {
            log.debug("ignoring whiteout metadata entry {}", entry);
            return;
        }
        String name = base.substring(PREFIX.length());
        if (name.isEmpty() || name.equals(".") || name.equals("..")) {
            throw new UnsafeLayerException(entry, "whiteout of '" + name + "'");
        }
        if (dir != null) {
            remove(dir.resolve(name), dirPath.child(name));
        }
    }

    /** In OVERLAY_DIFF, a directory that replaces a whiteout of this layer must hide the lower one. */
    void replacedByDirectory(Path dir, EntryPath path) throws IOException {
        if (mode == LayerUnpacker.Mode.OVERLAY_DIFF && devices.remove(path)) {
            markOpaque(dir, path);
        }
    }

    private void opaque(Path dir, EntryPath path) throws IOException {
        if (mode == LayerUnpacker.Mode.OVERLAY_DIFF) {
            markOpaque(dir, path);
        } else {
            purgeLower(dir, path);
        }
    }

    private void remove(Path target, EntryPath path) throws IOException {
        BasicFileAttributes attrs = TargetTree.stat(target);
        boolean ours = content.touched(path);
        if (mode == LayerUnpacker.Mode.OVERLAY_DIFF) {
            if (attrs == null && !insideOpaque(path)) {
                HostCommand.run(null, List.of("mknod", "-m", "0", target.toString(), "c", "0", "0"));
                devices.add(path);
            } else if (attrs != null && ours && attrs.isDirectory()) {
                markOpaque(target, path); // this layer's directory stays; the lower one is hidden
            }
            return;
        }
        if (attrs == null) {
            return;
        }
        if (!ours) {
            FileTrees.delete(target);
        } else if (attrs.isDirectory()) {
            purgeLower(target, path);
        }
    }

    /** Deletes everything under {@code dir} that this layer did not add. */
    private void purgeLower(Path dir, EntryPath path) throws IOException {
        List<Path> children;
        try (Stream<Path> list = Files.list(dir)) {
            children = list.toList();
        }
        for (Path child : children) {
            EntryPath childPath = path.child(child.getFileName().toString());
            BasicFileAttributes attrs = TargetTree.stat(child);
            if (attrs == null) {
                continue;
            }
            if (attrs.isDirectory()) {
                if (content.touched(childPath)) {
                    purgeLower(child, childPath); // keeps this layer's entries inside
                } else {
                    FileTrees.delete(child);
                }
            } else if (!content.added(childPath)) {
                FileTrees.delete(child);
            }
        }
    }

    /**
     * Sets the opaque xattr. Whiteout devices of this layer below the directory hide nothing any
     * more, and overlayfs lists them as broken entries in a directory no lower layer merges into,
     * so they go; later ones are not made ({@link #insideOpaque}).
     */
    private void markOpaque(Path dir, EntryPath path) throws IOException {
        HostCommand.run(null, List.of("setfattr", "--no-dereference", "-n", "trusted.overlay.opaque", "-v", "y",
                dir.toString()));
        opaqueDirs.add(path.toString());
        for (var it = devices.iterator(); it.hasNext(); ) {
            EntryPath device = it.next();
            if (device.parts().size() > path.parts().size()
                    && device.parts().subList(0, path.parts().size()).equals(path.parts())) {
                it.remove();
                // Looked up again without following symlinks: a parent may have been replaced by
                // a link since, and then the device went with the directory it was in.
                Path file = tree.locate(device);
                BasicFileAttributes attrs = file == null ? null : TargetTree.stat(file);
                if (attrs != null && attrs.isOther()) {
                    Files.delete(file);
                }
            }
        }
    }

    private boolean insideOpaque(EntryPath path) {
        for (EntryPath dir = path.parent(); ; dir = dir.parent()) {
            if (opaqueDirs.contains(dir.toString())) {
                return true;
            }
            if (dir.isRoot()) {
                return false;
            }
        }
    }
}
