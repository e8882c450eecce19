package dev.hypervisor.qemu;

import dev.hypervisor.core.error.DomainException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The directories whose files a caller may boot as a kernel or an initrd by host path
 * ({@code spec.kernel}, the {@value VmDriver#INITRD_ANNOTATION} annotation). Anything else
 * would hand any API caller the host's files (QEMU reads them as root) and tell, through its
 * errors, which of them exist. A path is checked twice: by its text at CreateInstance, and
 * with symbolic links resolved when the instance is prepared, so a link inside a kernel
 * directory cannot lead out of it. Errors never say whether a file outside them exists.
 */
public final class KernelPaths {

    private final List<Path> directories;

    public KernelPaths(List<Path> directories) {
        this.directories = directories.stream().map(dir -> dir.toAbsolutePath().normalize()).distinct().toList();
    }

    /** INVALID_ARGUMENT naming {@code field} unless {@code path} reads as a file in a kernel directory. */
    public void check(String field, String path) {
        inDirectory(field, path);
    }

    /**
     * The file {@code path} names, inside a kernel directory also with its links resolved;
     * IllegalArgumentException (the instance's error) otherwise or when it is no regular file.
     */
    public Path resolve(String field, String path) {
        Path file;
        try {
            file = inDirectory(field, path);
        } catch (DomainException e) {
            throw new IllegalArgumentException(e.getMessage(), e); // checked at create; here the instance's error
        }
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException(field + " " + path + ": no such file in the kernel directories");
        }
        boolean inside = false;
        for (Path dir : directories) {
            try {
                inside |= real.startsWith(dir.toRealPath());
            } catch (IOException e) {
                // a kernel directory that does not exist holds nothing
            }
        }
        if (!inside) {
            throw new IllegalArgumentException(field + " " + path + " leads out of the kernel directories");
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(field + " " + path + " is not a regular file");
        }
        return real;
    }

    private Path inDirectory(String field, String path) {
        Path file;
        try {
            file = Path.of(path);
        } catch (InvalidPathException e) {
            throw DomainException.invalidArgument(field, "not a valid path");
        }
        List<String> parts = new ArrayList<>();
        file.forEach(part -> parts.add(part.toString()));
        if (!file.isAbsolute() || parts.contains("..") || parts.contains(".")) {
            throw DomainException.invalidArgument(field, "a kernel on the node is an absolute path without . or ..");
        }
        for (Path dir : directories) {
            if (file.startsWith(dir) && !file.equals(dir)) {
                return file;
            }
        }
        throw DomainException.invalidArgument(field, directories.isEmpty()
                ? "this node boots no kernels by path (none is configured with --kernel-dir); name a kernel image"
                : "a kernel or initrd on the node must be in a kernel directory ("
                        + directories.stream().map(Path::toString).collect(Collectors.joining(", "))
                        + "); others come from the image store by reference");
    }
}
