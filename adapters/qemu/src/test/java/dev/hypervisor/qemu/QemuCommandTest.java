package dev.hypervisor.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.core.network.NetworkAttachment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The QEMU command line and the cloud-init network config, as text. */
class QemuCommandTest {

    private final VmDirs dirs = new VmDirs(Path.of("/var/lib/vms"), "inst-1");

    @Test
    void anSsdIsANonRotationalScsiDiskWithDiscardAndTheBootDiskComesFirst() {
        QemuCommand command = new QemuCommand("web", 2, 512L << 20,
                List.of(new QemuCommand.Disk(dirs.bootDisk(), true), new QemuCommand.Disk(dirs.disk(1), false)),
                Optional.empty(), Optional.of("ht1"), QemuCommand.macOf("inst-1"), Optional.empty());

        String line = String.join(" ", command.arguments(Path.of("/usr/bin/qemu-system-x86_64"), dirs));

        assertThat(line).contains("-smp 2", "-m 512M", "-no-shutdown", "-nodefaults",
                "-pidfile /var/lib/vms/inst-1/qemu.pid", "-qmp unix:/var/lib/vms/inst-1/qmp.sock,server=on,wait=off",
                "logfile=/var/lib/vms/inst-1/console.log,logappend=on",
                "file=/var/lib/vms/inst-1/boot.qcow2,if=none,id=disk0,format=qcow2,discard=unmap",
                "scsi-hd,drive=disk0,bus=scsi0.0,scsi-id=0,lun=0,rotation_rate=1,bootindex=1",
                "scsi-hd,drive=disk1,bus=scsi0.0,scsi-id=1,lun=0 ",
                "-netdev tap,id=net0,ifname=ht1,script=no,downscript=no",
                "virtio-net-pci,netdev=net0,mac=" + QemuCommand.macOf("inst-1"));
        assertThat(line).doesNotContain("accel", "-kernel");
        assertThat(line.substring(line.indexOf("drive=disk1"))).doesNotContain("rotation_rate");
    }

    @Test
    void networkNoneHasNoNicAndAKernelBootsDirectly() {
        QemuCommand command = new QemuCommand("k", 1, 256L << 20, List.of(new QemuCommand.Disk(dirs.bootDisk(), false)),
                Optional.of(dirs.seedIso()), Optional.empty(), QemuCommand.macOf("inst-1"),
                Optional.of(new QemuCommand.Kernel(Path.of("/k/vmlinuz"), Optional.of(Path.of("/k/initrd")), "console=ttyS0")));

        List<String> args = command.arguments(Path.of("qemu"), dirs);

        assertThat(args).doesNotContain("-netdev").containsSequence("-kernel", "/k/vmlinuz", "-initrd", "/k/initrd",
                "-append", "console=ttyS0");
        assertThat(String.join(" ", args)).contains("media=cdrom,readonly=on", "ide-cd,drive=seed");
        assertThat(QemuCommand.withAccelerator(args, "kvm")).endsWith("-accel", "kvm", "-cpu", "host");
        assertThat(QemuCommand.withAccelerator(args, "tcg")).endsWith("-accel", "tcg");
    }

    @Test
    void qemuRunsUnderItsSeccompFilterAsTheUnprivilegedUserAndDoesNotDaemonize() {
        QemuCommand command = new QemuCommand("web", 1, 256L << 20, List.of(new QemuCommand.Disk(dirs.bootDisk(), false)),
                Optional.empty(), Optional.empty(), QemuCommand.macOf("inst-1"), Optional.empty());

        List<String> args = command.arguments(Path.of("qemu"), dirs);

        assertThat(args).containsSequence("-sandbox", "on,obsolete=deny,elevateprivileges=allow,spawn=deny,resourcecontrol=deny")
                .containsSequence("-runas", "hypervisor-qemu")
                .doesNotContain("-daemonize", "-D"); // spawn=deny kills a daemonizing QEMU; stderr is its log already
        assertThat(QemuCommand.predatesTheSandbox(args)).isFalse();
        assertThat(QemuCommand.predatesTheSandbox(List.of("qemu", "-D", "q.log", "-daemonize", "-pidfile", "q.pid"))).isTrue();
    }

    @Test
    void theMacIsStableLocallyAdministeredAndDiffersBetweenInstances() {
        assertThat(QemuCommand.macOf("inst-1")).isEqualTo(QemuCommand.macOf("inst-1")).matches("52:54:00(:[0-9a-f]{2}){3}");
        assertThat(QemuCommand.macOf("inst-1")).isNotEqualTo(QemuCommand.macOf("inst-2"));
    }
}
