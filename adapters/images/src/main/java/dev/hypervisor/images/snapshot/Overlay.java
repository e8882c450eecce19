package dev.hypervisor.images.snapshot;

import dev.hypervisor.host.FileTrees;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** overlayfs mounts through the host's mount(8), and the mount table from /proc/self/mountinfo. */
final class Overlay {

    /**
     * mount(2) copies at most one page of options. Paths are given relative to the working
     * directory of mount(8), as containerd does, to fit ~50 layers instead of ~35.
     */
    static final int MAX_OPTIONS_LENGTH = 4000;

    static final String PROBE_PREFIX = ".probe-";
    private static final Logger log = LoggerFactory.getLogger(Overlay.class);
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
    // With index=on (a kernel default on some distros) a layer shared by several mounts can
    // fail to mount again; containerd turns it off whenever the kernel knows the option.
    private static final boolean INDEX_OFF = Files.exists(Path.of("/sys/module/overlay/parameters/index"));

    private Overlay() {}

    /** The -o argument for these paths (relative to the mount's working directory); lowers top-most first. */
    static String options(List<String> lowerTopFirst, String upper, String work) {
        return "lowerdir=" + String.join(":", lowerTopFirst) + ",upperdir=" + upper + ",workdir=" + work
                + (INDEX_OFF ? ",index=off" : "");
    }

    static void mount(Path cwd, String options, Path target) throws IOException {
        if (options.length() > MAX_OPTIONS_LENGTH) {
            throw new IOException("overlay options for " + target + " are " + options.length()
                    + " bytes, over the " + MAX_OPTIONS_LENGTH + "-byte limit of mount(2)");
        }
        HostCommand.run(cwd, List.of("mount", "-t", "overlay", "overlay", "-o", options, target.toString()));
    }

    /** Unmounts {@code target}; a target that is not mounted is fine. */
    static void unmount(Path target) throws IOException {
        try {
            HostCommand.run(null, List.of("umount", target.toString()));
        } catch (IOException e) {
            if (isMounted(target)) {
                throw e;
            }
        }
    }

    static boolean isMounted(Path path) throws IOException {
        return mountPoints().contains(path.toAbsolutePath().normalize());
    }

    /** Mount points at or below {@code dir}. */
    static List<Path> mountsUnder(Path dir) throws IOException {
        Path base = dir.toAbsolutePath().normalize();
        return mountPoints().stream().filter(p -> p.startsWith(base)).toList();
    }

    /**
     * Whether this kernel and filesystem give overlayfs with whiteouts and opaque directories as
     * OVERLAY_DIFF unpacking writes them; tries a tiny mount under {@code scratchParent}.
     */
    static boolean probe(Path scratchParent) {
        Path dir = scratchParent.resolve(PROBE_PREFIX + UUID.randomUUID());
        try {
            for (String sub : List.of("lower/dir", "upper-lower/dir", "upper", "work", "merged")) {
                Files.createDirectories(dir.resolve(sub));
            }
            Files.writeString(dir.resolve("lower/file"), "lower");
            Files.writeString(dir.resolve("lower/dir/inner"), "lower");
            HostCommand.run(dir, List.of("mknod", "upper-lower/file", "c", "0", "0"));
            HostCommand.run(dir, List.of("setfattr", "-n", "trusted.overlay.opaque", "-v", "y", "upper-lower/dir"));
            Path merged = dir.resolve("merged");
            mount(dir, options(List.of("upper-lower", "lower"), "upper", "work"), merged);
            try {
                boolean works = !Files.exists(merged.resolve("file")) && Files.isDirectory(merged.resolve("dir"))
                        && !Files.exists(merged.resolve("dir/inner"));
                if (!works) {
                    log.info("overlayfs mounts but ignores whiteouts here; root filesystems will be copies");
                }
                return works;
            } finally {
                unmount(merged);
            }
        } catch (IOException e) {
            log.info("overlayfs is not usable under {} ({}); root filesystems will be copies", scratchParent,
                    e.getMessage());
            return false;
        } finally {
            try {
                if (mountsUnder(dir).isEmpty()) {
                    FileTrees.delete(dir);
                }
            } catch (IOException e) {
                log.warn("cannot clean up overlay probe {}: {}", dir, e.getMessage());
            }
        }
    }

    private static List<Path> mountPoints() throws IOException {
        List<Path> points = new ArrayList<>();
        for (String line : Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8)) {
            String[] fields = line.split(" ");
            if (fields.length > 4) {
                points.add(Path.of(unescape(fields[4])));
            }
        }
        return points;
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo. */
    private static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
