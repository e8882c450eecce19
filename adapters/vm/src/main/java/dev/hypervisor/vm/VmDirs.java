package dev.hypervisor.vm;

import java.nio.file.Path;

/** The files of one VM under the driver's root: everything QEMU and the driver keep for it. */
record VmDirs(Path root, String id) {

    Path dir() {
        return root.resolve(id);
    }

    /** The QEMU command line without the accelerator, written by prepare and read by start. */
    Path commandFile() {
        return dir().resolve("qemu.args");
    }

    Path pidFile() {
        return dir().resolve("qemu.pid");
    }

    Path qmpSocket() {
        return dir().resolve("qmp.sock");
    }

    Path consoleSocket() {
        return dir().resolve("console.sock");
    }

    /** All the serial console printed, across boots (QEMU's chardev logfile, appended to). */
    Path consoleLog() {
        return dir().resolve("console.log");
    }

    /** QEMU's own stderr: why it failed to start or died. */
    Path qemuLog() {
        return dir().resolve("qemu.log");
    }

    /** The pid of the QEMU this driver started last (QEMU's own pid file may go when it exits). */
    Path runFile() {
        return dir().resolve("run");
    }

    /** How the last run ended: {@code <code> <reason>}, written when the driver sees QEMU go. */
    Path exitFile() {
        return dir().resolve("exit");
    }

    Path bootDisk() {
        return dir().resolve("boot.qcow2");
    }

    Path disk(int index) {
        return dir().resolve("disk" + index + ".qcow2");
    }

    Path seedDir() {
        return dir().resolve("seed");
    }

    /** A microVM's config disk: its settings, and the exit status its init records (see MicroVmConfig). */
    Path configDisk() {
        return dir().resolve("config.img");
    }

    Path seedIso() {
        return dir().resolve("seed.iso");
    }
}
