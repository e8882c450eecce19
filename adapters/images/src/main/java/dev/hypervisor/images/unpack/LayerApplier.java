package dev.hypervisor.images.unpack;

import dev.hypervisor.host.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies the entries of one layer, in tar order, to a {@link TargetTree}. */
final class LayerApplier {

    private static final Logger log = LoggerFactory.getLogger(LayerApplier.class);

    private final TargetTree tree;
    private final LayerContent content = new LayerContent();
    private final Whiteouts whiteouts;
    private final Metadata metadata = new Metadata();
    // Directory mode and times wait until the end: creating children changes a directory's
    // mtime, and a read-only mode would stop a non-root unpack from filling it.
    // Keyed by entry path and looked up again at the end, never by a stored Path: a parent may
    // have been replaced by a symlink in between.
    private final Map<EntryPath, Deferred> directories = new LinkedHashMap<>();
    private final byte[] buffer = new byte[128 * 1024];

    LayerApplier(TargetTree tree, LayerUnpacker.Mode mode) {
        this.tree = tree;
        this.whiteouts = new Whiteouts(tree, mode, content);
    }

    void apply(TarArchiveEntry entry, InputStream data, Map<String, byte[]> xattrs) throws IOException {
        String name = entry.getName();
        EntryPath path = EntryPath.parse(name, name);
        try {
            if (Whiteouts.isWhiteout(path)) {
                whiteouts.apply(path, name);
            } else if (path.isRoot()) {
                root(entry, xattrs);
            } else if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
                // The runtime creates /dev itself; a device node from an image is only a risk.
                log.debug("skipping device or FIFO entry {}", name);
            } else if (!(entry.isDirectory() || entry.isSymbolicLink() || entry.isLink() || isRegular(entry))) {
                log.debug("skipping entry {} of unsupported type '{}'", name, (char) entry.getLinkFlag());
            } else {
                Path target = tree.parentOf(path, name, true).resolve(path.name());
                write(entry, path, target, data, xattrs);
                content.add(path);
            }
        } catch (InvalidPathException e) {
            throw new UnsafeLayerException(name, "not a valid path: " + e.getMessage());
        }
    }

    /** Sets directory modes and times, after everything inside them was written. */
    void finish() throws IOException {
        List<Map.Entry<EntryPath, Deferred>> dirs = new ArrayList<>(directories.entrySet());
        for (int i = dirs.size() - 1; i >= 0; i--) {
            EntryPath path = dirs.get(i).getKey();
            Deferred later = dirs.get(i).getValue();
            Path dir = tree.locate(path);
            BasicFileAttributes attrs = dir == null ? null : TargetTree.stat(dir);
            if (attrs != null && attrs.isDirectory()) {
                metadata.mode(dir, later.mode());
                metadata.times(dir, later.modified(), later.accessed());
            }
        }
    }

    private void write(TarArchiveEntry entry, EntryPath path, Path target, InputStream data,
            Map<String, byte[]> xattrs) throws IOException {
        if (entry.isDirectory()) {
            directory(entry, path, target, xattrs);
        } else if (entry.isSymbolicLink()) {
            symlink(entry, path, target, xattrs);
        } else if (entry.isLink()) {
            hardLink(entry, path, target);
        } else {
            regularFile(entry, target, data, xattrs);
        }
    }

    private void regularFile(TarArchiveEntry entry, Path target, InputStream data, Map<String, byte[]> xattrs)
            throws IOException {
        replace(target);
        // CREATE_NEW (O_EXCL) after the delete: never opens, let alone writes, through a link.
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            for (int n; (n = data.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
            }
        }
        metadata.owner(target, entry.getLongUserId(), entry.getLongGroupId());
        metadata.mode(target, entry.getMode());
        metadata.xattrs(target, xattrs, false);
        metadata.times(target, entry.getLastModifiedTime(), entry.getLastAccessTime());
    }

    private void root(TarArchiveEntry entry, Map<String, byte[]> xattrs) throws IOException {
        if (!entry.isDirectory()) {
            throw new UnsafeLayerException(entry.getName(), "only a directory may stand for the target itself");
        }
        metadata.owner(tree.root(), entry.getLongUserId(), entry.getLongGroupId());
        metadata.xattrs(tree.root(), xattrs, false);
        directories.put(EntryPath.ROOT, Deferred.of(entry));
    }

    private void directory(TarArchiveEntry entry, EntryPath path, Path target, Map<String, byte[]> xattrs)
            throws IOException {
        BasicFileAttributes attrs = TargetTree.stat(target);
        if (attrs == null || !attrs.isDirectory()) {
            // Anything but a real directory (a symlink included) is replaced, never entered.
            replace(target);
            Files.createDirectory(target);
            whiteouts.replacedByDirectory(target, path);
        }
        metadata.owner(target, entry.getLongUserId(), entry.getLongGroupId());
        metadata.xattrs(target, xattrs, false);
        directories.remove(path); // the last entry for a directory wins, in its new position
        directories.put(path, Deferred.of(entry));
    }

    private void symlink(TarArchiveEntry entry, EntryPath path, Path target, Map<String, byte[]> xattrs)
            throws IOException {
        String name = entry.getName();
        String link = entry.getLinkName();
        if (link == null || link.isEmpty()) {
            throw new UnsafeLayerException(name, "symlink without a target");
        }
        if (!link.startsWith("/")) {
            // Absolute targets are fine: they resolve inside the container's root at run time and
            // are never followed here. Relative ones that climb out are refused, as Docker does.
            path.parent().resolve(link, name, "symlink target");
        } else if (link.indexOf('\0') >= 0) {
            throw new UnsafeLayerException(name, "symlink target contains a NUL byte");
        }
        replace(target);
        Files.createSymbolicLink(target, target.getFileSystem().getPath(link));
        metadata.owner(target, entry.getLongUserId(), entry.getLongGroupId());
        metadata.xattrs(target, xattrs, true);
        metadata.times(target, entry.getLastModifiedTime(), entry.getLastAccessTime());
    }

    private void hardLink(TarArchiveEntry entry, EntryPath path, Path target) throws IOException {
        String name = entry.getName();
        // Like entry names, an absolute link name is relative to the target.
        EntryPath source = EntryPath.parse(entry.getLinkName(), name);
        if (source.isRoot() || source.equals(path)) {
            throw new UnsafeLayerException(name, "hard link to '" + entry.getLinkName() + "'");
        }
        Path dir = tree.parentOf(source, name, false);
        Path existing = dir == null ? null : dir.resolve(source.name());
        BasicFileAttributes attrs = existing == null ? null : TargetTree.stat(existing);
        if (attrs == null) {
            throw new UnsafeLayerException(name, "hard link target '" + entry.getLinkName()
                    + "' is not an earlier entry inside the target");
        }
        if (attrs.isDirectory()) {
            throw new UnsafeLayerException(name, "hard link to directory '" + entry.getLinkName() + "'");
        }
        replace(target);
        // link(2) on Linux links a symlink itself, never what it points to.
        Files.createLink(target, existing);
    }

    /** Clears the way for a new non-directory, or a directory where something else stood. */
    private static void replace(Path target) throws IOException {
        FileTrees.delete(target);
    }

    /** The mode and times a directory gets once everything inside it is written. */
    private record Deferred(int mode, FileTime modified, FileTime accessed) {
        static Deferred of(TarArchiveEntry entry) {
            return new Deferred(entry.getMode(), entry.getLastModifiedTime(), entry.getLastAccessTime());
        }
    }

    private static boolean isRegular(TarArchiveEntry entry) {
        byte flag = entry.getLinkFlag();
        return flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM
                || flag == TarConstants.LF_CONTIG || entry.isGNUSparse();
    }
}
