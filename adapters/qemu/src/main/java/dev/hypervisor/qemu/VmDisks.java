package dev.hypervisor.qemu;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.core.instance.DiskSpec;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A VM's disk files, made with qemu-img: the boot disk a qcow2 overlay on the image's base disk
 * (which stays shared and unchanged) grown to the boot disk's size, the others new qcow2 files
 * of their size. Each is made under a temporary name and renamed, so an existing file is a
 * complete one and preparing again leaves it (and what the guest wrote) alone.
 */
public final class VmDisks {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path qemuImg;

    public VmDisks(Path qemuImg) {
        this.qemuImg = qemuImg;
    }

    /** The disks in the order the guest sees them: the boot disk first. */
    public List<QemuCommand.Disk> ensure(VmDirs dirs, List<DiskSpec> specs, Path baseDisk, String baseFormat)
            throws IOException {
        DiskSpec boot = specs.stream().filter(DiskSpec::boot).findFirst().orElse(null);
        List<QemuCommand.Disk> disks = new ArrayList<>();
        if (!Files.exists(dirs.bootDisk())) {
            Path temp = temp(dirs.bootDisk());
            HostCommand.run(null, List.of(qemuImg.toString(), "create", "-q", "-f", "qcow2", "-F", baseFormat,
                    "-b", baseDisk.toString(), temp.toString()));
            long imageSize = virtualSize(temp);
            if (boot != null && boot.sizeBytes() > imageSize) {
                HostCommand.run(null, List.of(qemuImg.toString(), "resize", "-q", temp.toString(),
                        Long.toString(boot.sizeBytes())));
            } else if (boot != null && boot.sizeBytes() > 0 && boot.sizeBytes() < imageSize) {
                Files.deleteIfExists(temp);
                throw new IllegalArgumentException("disk " + boot.name() + ": size_bytes " + boot.sizeBytes()
                        + " is smaller than the image's disk (" + imageSize + " bytes)");
            }
            Files.move(temp, dirs.bootDisk(), StandardCopyOption.ATOMIC_MOVE);
        }
        disks.add(new QemuCommand.Disk(dirs.bootDisk(), boot != null && isSsd(boot)));
        int index = 1;
        for (DiskSpec spec : specs) {
            if (spec == boot) {
                continue;
            }
            Path file = dirs.disk(index++);
            if (!Files.exists(file)) {
                Path temp = temp(file);
                HostCommand.run(null, List.of(qemuImg.toString(), "create", "-q", "-f", "qcow2", temp.toString(),
                        Long.toString(spec.sizeBytes())));
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            }
            disks.add(new QemuCommand.Disk(file, isSsd(spec)));
        }
        return disks;
    }

    long virtualSize(Path disk) throws IOException {
        String info = HostCommand.output(null, List.of(qemuImg.toString(), "info", "--output=json", "-U",
                disk.toString()));
        return JSON.readTree(info.substring(info.indexOf('{'))).path("virtual-size").asLong();
    }

    private static boolean isSsd(DiskSpec spec) {
        return "ssd".equalsIgnoreCase(spec.type());
    }

    private static Path temp(Path file) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        return temp;
    }
}
