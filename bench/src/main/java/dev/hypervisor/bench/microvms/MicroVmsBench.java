package dev.hypervisor.bench.microvms;

import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.HostTools;
import dev.hypervisor.bench.RealDaemon;
import dev.hypervisor.bench.images.BenchImages;
import dev.hypervisor.testkit.images.RegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** {@code bench/run.sh microvm}: hypervisord's real microVM driver under TCG beside QEMU and mkfs.ext4 run directly. */
public final class MicroVmsBench {

    private static final List<String> TOOLS = List.of("qemu-system-x86_64", "qemu-img", "mkfs.ext4", "docker-registry",
            "skopeo", "umoci", "ip", "iptables");

    private MicroVmsBench() {}

    public static void main(String[] args) {
        RealDaemon.main(args, new MicroVmsOptions(), TOOLS, "10.216", MicroVmsBench::run);
    }

    private static String run(MicroVmsOptions options, BenchRun run, RealDaemon host) throws Exception {
        BenchKernels kernels = new BenchKernels(run);
        Path kernel = kernels.resolve(options.kernel);
        Path densityKernel = kernels.resolve(options.densityKernel);
        run.header(String.format(", kernel %s (%d KiB), figure 3's kernel %s (%d KiB), TCG", kernel,
                Files.size(kernel) / 1024, densityKernel, Files.size(densityKernel) / 1024));
        RegistryServer registry = run.closing(RegistryServer.start(run.dir("registry")));
        run.progress("registry on %s; building and pushing busybox and a %d MiB image", registry.host(),
                options.randomFiles() * 8);
        BenchImages images = new BenchImages(run.work().resolve("layout"), registry.host());
        String busybox = images.busybox().reference();
        String big = images.busyboxWithRandomFiles(options.randomFiles(), 8).reference();
        Path bundle = run.work().resolve("rootfs-bundle");
        HostTools.run(List.of("umoci", "unpack", "--image", images.layout() + ":random", bundle.toString()),
                run.dir("logs").resolve("umoci-unpack.log"), Duration.ofSeconds(300));

        host.run("microVM driver, TCG", List.of("--accelerator", "tcg", "--default-kernel", kernel.toString(), "--kernel-dir",
                densityKernel.getParent().toString()), List.of(busybox, big), InstanceType.INSTANCE_TYPE_MICROVM, 1,
                (daemon, instances) -> {
                    MicroVms api = new MicroVms(instances, host.data().resolve("microvms"));
                    run.progress("figure 1: boot to the first line, %d samples per side, %d boots in all", options.samples,
                            options.boots);
                    new BootFigure(run, api, busybox, options.bootTimeoutSeconds).measure(options.samples, options.boots);
                    daemon.awaitQuiet(Duration.ofSeconds(30));
                    run.progress("figure 2: root filesystem of the %d MiB image, %d round(s)", options.randomFiles() * 8,
                            options.rootfsRounds);
                    new RootfsFigure(run, api, big, busybox, bundle.resolve("rootfs")).measure(options.rootfsRounds);
                    daemon.awaitQuiet(Duration.ofSeconds(30));
                    run.progress("figure 3: %d microVMs of %d MiB at once", options.density, options.densityMib);
                    new DensityFigure(run, daemon, api, busybox, densityKernel)
                            .measure(options.density, options.densityMib, options.fallbackMib);
                });
        return "1 and 3 = the QEMU command line the driver ran (qemu.args plus its accelerator), started"
                + " directly on fresh copies of its disks; 2 = mkfs.ext4 -d with the driver's options of the same tree,"
                + " unpacked by umoci.";
    }
}
