package dev.hypervisor.bench.vm;

import dev.hypervisor.host.InstanceCgroups;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Ends the QEMUs a run leaves when the daemon could not delete its VMs (it died, or the run was
 * interrupted): each VM directory's last QEMU pid, killed only while its command line still
 * names that directory; then the VM's cgroup. Idempotent.
 */
final class QemuLeftovers {

    private final Path vmsRoot;

    QemuLeftovers(Path vmsRoot) {
        this.vmsRoot = vmsRoot;
    }

    void removeAll() {
        if (!Files.isDirectory(vmsRoot)) {
            return;
        }
        InstanceCgroups cgroups = InstanceCgroups.detect();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(vmsRoot, "inst-*")) {
            for (Path dir : dirs) {
                kill(dir);
                try {
                    cgroups.remove(dir.getFileName().toString(), 5000);
                } catch (IOException e) {
                    System.err.println("warning: " + e.getMessage());
                }
            }
        } catch (IOException e) {
            System.err.println("warning: cannot list " + vmsRoot + ": " + e.getMessage());
        }
    }

    private static void kill(Path dir) {
        try {
            long pid = Long.parseLong(Files.readString(dir.resolve("run")).strip());
            String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")));
            if (cmdline.contains(dir.toString())) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                for (int i = 0; i < 500 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false); i++) {
                    Thread.sleep(10);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no QEMU recorded there, or it is gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
