package dev.hypervisor.container;

import dev.hypervisor.core.instance.DiskSpec;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A container's persistent volumes (its spec's {@code disks}): each is a sparse ext4 image
 * file of exactly the disk's size, loop-mounted on the host and bind-mounted into the container
 * at {@code /mnt/NAME}, so the filesystem itself enforces the size (a write past it fails
 * with ENOSPC). They live in the container's directory and go away with it.
 */
final class Volumes {

    private Volumes() {}

    /** Makes and mounts every volume that is not there yet; returns them in spec order. */
    static List<OciConfig.Volume> prepare(ContainerDirs dirs, List<DiskSpec> disks) throws IOException {
        List<OciConfig.Volume> volumes = new ArrayList<>();
        for (DiskSpec disk : disks) {
            Path image = dirs.volumes().resolve(disk.name() + ".ext4");
            Path mountPoint = dirs.volumes().resolve(disk.name());
            Files.createDirectories(mountPoint);
            if (!Files.exists(image)) {
                Path partial = dirs.volumes().resolve(disk.name() + ".ext4.tmp");
                try (RandomAccessFile file = new RandomAccessFile(partial.toFile(), "rw")) {
                    file.setLength(disk.sizeBytes());
                }
                // -m 0: no blocks reserved for root, so the whole size is the volume's.
                HostCommand.run(null, List.of("mkfs.ext4", "-q", "-F", "-m", "0", "-L", label(disk.name()),
                        partial.toString()));
                Files.move(partial, image);
            }
            if (!mounted(mountPoint)) {
                HostCommand.run(null, List.of("mount", "-o", "loop,nosuid,nodev", image.toString(), mountPoint.toString()));
            }
            volumes.add(new OciConfig.Volume(disk.name(), mountPoint));
        }
        return volumes;
    }

    /** Unmounts every volume of the container (the files go with its directory). */
    static void unmountAll(ContainerDirs dirs) throws IOException {
        if (!Files.isDirectory(dirs.volumes())) {
            return;
        }
        try (var entries = Files.list(dirs.volumes())) {
            for (Path entry : entries.filter(Files::isDirectory).toList()) {
                while (mounted(entry)) {
                    HostCommand.run(null, List.of("umount", entry.toString()));
                }
            }
        }
    }

    static boolean mounted(Path path) throws IOException {
        String target = path.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] fields = line.split(" ");
            if (fields.length > 4 && unescape(fields[4]).equals(target)) {
                return true;
            }
        }
        return false;
    }

    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    private static String label(String name) {
        return name.length() <= 16 ? name : name.substring(0, 16);
    }
}
