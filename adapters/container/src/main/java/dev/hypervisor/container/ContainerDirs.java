package dev.hypervisor.container;

import java.nio.file.Path;

/**
 * Where one container's files live, all under {@code <root>/<instance id>/}: the OCI bundle
 * ({@code config.json}; conmon adds its {@code attach} socket and {@code ctl}/{@code winsz}
 * FIFOs there), conmon's pid files, the console log, the files bind-mounted over the image's
 * {@code /etc/hosts}, {@code /etc/resolv.conf} and {@code /etc/hostname}, and the volumes.
 * conmon writes each exit code to {@code <root>/exits/<id>} and, when the kernel's OOM killer
 * struck, an {@code oom} file into the container's directory.
 */
record ContainerDirs(Path root, String id) {

    Path dir() {
        return root.resolve(id);
    }

    Path bundle() {
        return dir();
    }

    Path config() {
        return dir().resolve("config.json");
    }

    Path attachSocket() {
        return dir().resolve("attach");
    }

    Path ctlFifo() {
        return dir().resolve("ctl");
    }

    Path winszFifo() {
        return dir().resolve("winsz");
    }

    Path consoleLog() {
        return dir().resolve("console.log");
    }

    Path conmonPidFile() {
        return dir().resolve("conmon.pid");
    }

    Path containerPidFile() {
        return dir().resolve("container.pid");
    }

    Path oomFile() {
        return dir().resolve("oom");
    }

    Path hosts() {
        return dir().resolve("hosts");
    }

    Path resolvConf() {
        return dir().resolve("resolv.conf");
    }

    Path hostname() {
        return dir().resolve("hostname");
    }

    Path volumes() {
        return dir().resolve("volumes");
    }

    Path exitFile() {
        return exitDir(root).resolve(id);
    }

    static Path exitDir(Path root) {
        return root.resolve("exits");
    }

    /** The runtime's state directory (its {@code --root}), kept apart from other runc users such as podman. */
    static Path runtimeState(Path root) {
        return root.resolve("runtime");
    }
}
