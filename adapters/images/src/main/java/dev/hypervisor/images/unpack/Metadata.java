package dev.hypervisor.images.unpack;

import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies ownership, mode, extended attributes and times from tar headers. Callers keep the
 * kernel's order: chown clears setuid/setgid and file capabilities, and writing clears
 * capabilities, so it is content, owner, mode, xattrs, then times.
 */
final class Metadata {

    private static final Logger log = LoggerFactory.getLogger(Metadata.class);
    private static final boolean RUNNING_AS_ROOT = runningAsRoot();

    private boolean xattrFailureLogged;

    /** Sets uid and gid, of a symlink itself too; only root may, so others keep their own. */
    void owner(Path path, long uid, long gid) throws IOException {
        if (!RUNNING_AS_ROOT) {
            return;
        }
        Files.setAttribute(path, "unix:uid", (int) uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", (int) gid, LinkOption.NOFOLLOW_LINKS);
    }

    /** Sets the permission bits including setuid, setgid and sticky; never for a symlink. */
    void mode(Path path, int mode) throws IOException {
        // unix:mode is chmod(2) semantics; PosixFilePermission has no setuid/setgid/sticky.
        Files.setAttribute(path, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
    }

    void times(Path path, FileTime modified, FileTime accessed) throws IOException {
        if (modified == null) {
            return;
        }
        Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(modified, accessed != null ? accessed : modified, null);
    }

    /**
     * Sets the extended attributes. A filesystem or kernel that refuses one is logged once per
     * layer and the unpack goes on: the files are still usable without them.
     */
    void xattrs(Path path, Map<String, byte[]> xattrs, boolean symlink) {
        for (Map.Entry<String, byte[]> xattr : xattrs.entrySet()) {
            String name = xattr.getKey();
            if (name.startsWith("trusted.overlay.")) {
                // A layer must not forge whiteouts, opaque dirs or redirects in an overlay lowerdir.
                log.debug("dropping xattr {} of {}", name, path);
                continue;
            }
            try {
                set(path, name, xattr.getValue(), symlink);
            } catch (IOException e) {
                if (!xattrFailureLogged) {
                    xattrFailureLogged = true;
                    log.warn("cannot set xattr {} on {} (further failures in this layer are logged at debug): {}",
                            name, path, e.getMessage());
                } else {
                    log.debug("cannot set xattr {} on {}: {}", name, path, e.getMessage());
                }
            }
        }
    }

    private static void set(Path path, String name, byte[] value, boolean symlink) throws IOException {
        if (name.startsWith("user.") && !symlink) {
            Files.getFileAttributeView(path, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .write(name.substring("user.".length()), ByteBuffer.wrap(value));
        } else {
            // Java can only write user.*; setfattr takes the value in hex, so binary values survive.
            String encoded = value.length == 0 ? "" : "0x" + HexFormat.of().formatHex(value);
            HostCommand.run(null, List.of("setfattr", "--no-dereference", "-n", name, "-v", encoded, path.toString()));
        }
    }

    private static boolean runningAsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
