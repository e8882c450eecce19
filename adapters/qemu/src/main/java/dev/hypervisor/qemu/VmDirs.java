package dev.hypervisor.qemu;

import java.nio.file.Path;

/** The files of one VM under the driver's root: everything QEMU and the driver keep for it. */
public record VmDirs(Path root, String id) {

    public Path dir() {
        return root.resolve(id);
    }

    /** The QEMU command line without the accelerator, written by prepare and read by start. */
    public Path commandFile() {
        return dir().resolve("qemu.args");
    }

    public Path pidFile() {
        return dir().resolve("qemu.pid");
    }

    public Path qmpSocket() {
        return dir().resolve("qmp.sock");
    }

    public Path consoleSocket() {
        return dir().resolve("console.sock");
    }

    /** All the serial console printed, across boots (QEMU's chardev logfile, appended to). */
    public Path consoleLog() {
        return dir().resolve("console.log");
    }

    /** QEMU's own stderr: why it failed to start or died. */
    public Path qemuLog() {
        return dir().resolve("qemu.log");
    }

    /** The pid of the QEMU this driver started last (QEMU's own pid file may go when it exits). */
    public Path runFile() {
        return dir().resolve("run");
    }

    /** How the last run ended: {@code <code> <reason>}, written when the driver sees QEMU go. */
    public Path exitFile() {
        return dir().resolve("exit");
    }

    public Path bootDisk() {
        return dir().resolve("boot.qcow2");
    }

    public Path disk(int index) {
        return dir().resolve("disk" + index + ".qcow2");
    }

    public Path seedDir() {
        return dir().resolve("seed");
    }

    /** A microVM's config disk: its settings, and the exit status its init records (see MicroVmConfig). */
    public Path configDisk() {
        return dir().resolve("config.img");
    }

    public Path seedIso() {
        return dir().resolve("seed.iso");
    }
}
