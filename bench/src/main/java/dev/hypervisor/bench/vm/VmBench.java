package dev.hypervisor.bench.vm;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DiskSpec;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.Metadata;
import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.RealDaemon;
import dev.hypervisor.qemu.Machine;
import dev.hypervisor.testkit.guest.GuestDisk;
import dev.hypervisor.testkit.guest.GuestInitramfs;
import dev.hypervisor.testkit.guest.GuestKernel;
import dev.hypervisor.vm.Q35Machine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** {@code bench/run.sh vm}: hypervisord's real VM driver, the VM tests' guest, beside the same QEMU, run directly. */
public final class VmBench {

    private static final List<String> TOOLS = List.of("qemu-system-x86_64", "qemu-img", "genisoimage", "mkfs.ext4",
            "ip", "iptables");
    private static final long MEMORY_BYTES = 256L << 20;

    private VmBench() {}

    public static void main(String[] args) {
        RealDaemon.main(args, new VmOptions(), TOOLS, "10.216", VmBench::run);
    }

    private static String run(VmOptions options, BenchRun run, RealDaemon host) throws Exception {
        run.header(String.format(", bridge %s (%s), accelerator %s", host.bridge(), host.subnet(),
                options.accelerator()));
        run.progress("guest: Debian cloud kernel, busybox initramfs, ext4 disk served over HTTP");
        GuestKernel kernel = GuestKernel.get();
        Path guest = run.dir("guest");
        Path initramfs = guest.resolve("initramfs.gz");
        GuestInitramfs.write(kernel, initramfs);
        String image = run.closing(GuestDisk.serve(GuestDisk.write(guest.resolve("disk.qcow2"), "vm-bench"))).url();

        host.run("VM driver", List.of("--accelerator", options.accelerator(), "--allow-local-image-urls", "--kernel-dir",
                kernel.vmlinuz().getParent().toString(), "--kernel-dir", initramfs.getParent().toString()),
                List.of(image), InstanceType.INSTANCE_TYPE_VM, 1, (daemon, vms) -> {
                    VmBoots boots = new VmBoots(daemon, vms, template(image, kernel.vmlinuz(), initramfs),
                            host.data().resolve("vms"), run.dir("logs").resolve("direct-qemu.log"));
                    try {
                        run.progress("reference VM: boot it, read the QEMU command line hypervisord ran, stop it");
                        List<String> command = boots.takeReference();
                        daemon.awaitQuiet(Duration.ofSeconds(30));
                        run.progress("figure 1: CreateInstance->first console line, %d samples per side", options.samples);
                        new BootLatencyFigure(run, boots, GuestInitramfs.READY).measure(options.samples);
                        run.progress("figure 2: memory of an idle VM, %d sample(s) per side", options.memorySamples);
                        new VmMemoryFigure(run, boots, MEMORY_BYTES, GuestInitramfs.READY).measure(options.memorySamples);
                        run.report().note("baseline command line (%d arguments): %s", command.size(),
                                String.join(" ", command));
                    } finally {
                        boots.killDirect(); // before the reference VM's files go with it
                    }
                });
        return "the QEMU command line hypervisord ran for a reference VM (from its /proc/<pid>/cmdline),"
                + " started directly on that VM's files while it is stopped, its console read from QEMU's socket.";
    }

    private static CreateInstanceRequest template(String image, Path kernel, Path initramfs) {
        return CreateInstanceRequest.newBuilder().setType(InstanceType.INSTANCE_TYPE_VM)
                .setSpec(InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(MEMORY_BYTES)
                        .addDisks(DiskSpec.newBuilder().setName("root").setSizeBytes(64L << 20).setType("ssd").setBoot(true))
                        .setKernel(kernel.toString()))
                .setMetadata(Metadata.newBuilder()
                        .putAnnotations(Q35Machine.INITRD_ANNOTATION, initramfs.toString())
                        .putAnnotations(Machine.CMDLINE_ANNOTATION, "console=ttyS0 panic=-1 quiet"))
                .build();
    }
}
