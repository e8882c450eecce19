package dev.hypervisor.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/** Files that hold secrets (keys, passwords, registry credentials) are refused when other users can read them, as ssh does. */
public final class SecretFiles {

    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private SecretFiles() {}

    /** IllegalArgumentException naming {@code what} and the fix when {@code file}'s group or others may read or write it. */
    public static Path requirePrivate(Path file, String what) {
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return file; // no POSIX modes to check on this file system
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " " + file + " cannot be read: " + e.getMessage(), e);
        }
        Set<PosixFilePermission> open = EnumSet.copyOf(OTHERS);
        open.retainAll(mode);
        if (!open.isEmpty()) {
            throw new IllegalArgumentException(what + " " + file + " is open to other users (mode "
                    + PosixFilePermissions.toString(mode) + "): chmod 600 " + file);
        }
        return file;
    }
}
