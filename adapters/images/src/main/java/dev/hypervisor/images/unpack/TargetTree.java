package dev.hypervisor.images.unpack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The directory a layer is applied to. Every lookup walks it one component at a time without
 * following symlinks, so no entry can be written, linked or deleted through a symlink, whether the
 * symlink came from this layer or from a lower one.
 *
 * <p>Checks and writes are not atomic; that is sound because nothing else writes the target
 * during an unpack (it is a fresh directory or a rootfs no container runs in yet).
 */
final class TargetTree {

    private static final int IMPLICIT_DIR_MODE = 0755;

    private final Path root;

    TargetTree(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /**
     * The directory that holds {@code path}; missing directories are created (mode 0755) when
     * {@code create}, else null is returned. Refuses a component that is a symlink or not a directory.
     */
    Path parentOf(EntryPath path, String entry, boolean create) throws IOException {
        Path dir = root;
        for (String part : path.parent().parts()) {
            dir = dir.resolve(part);
            BasicFileAttributes attrs = stat(dir);
            if (attrs == null) {
                if (!create) {
                    return null;
                }
                Files.createDirectory(dir);
                Files.setAttribute(dir, "unix:mode", IMPLICIT_DIR_MODE, LinkOption.NOFOLLOW_LINKS);
            } else if (attrs.isSymbolicLink()) {
                throw new UnsafeLayerException(entry, "its parent '" + root.relativize(dir)
                        + "' is a symlink, which extraction never follows");
            } else if (!attrs.isDirectory()) {
                throw new UnsafeLayerException(entry, "its parent '" + root.relativize(dir) + "' is not a directory");
            }
        }
        return dir;
    }

    /**
     * Where {@code path} is, if every directory above it is a real directory; null if one is
     * missing or is anything else (a symlink included), as then nothing there is the layer's.
     */
    Path locate(EntryPath path) throws IOException {
        if (path.isRoot()) {
            return root;
        }
        Path dir = root;
        for (String part : path.parent().parts()) {
            dir = dir.resolve(part);
            BasicFileAttributes attrs = stat(dir);
            if (attrs == null || !attrs.isDirectory()) {
                return null;
            }
        }
        return dir.resolve(path.name());
    }

    /** The attributes of the path itself (a symlink is not followed), or null if nothing is there. */
    static BasicFileAttributes stat(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
