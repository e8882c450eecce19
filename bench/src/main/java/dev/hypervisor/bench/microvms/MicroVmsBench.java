package dev.hypervisor.bench.microvms;

import dev.hypervisor.bench.BenchMain;
import dev.hypervisor.bench.BenchDaemon;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.RunLog;
import dev.hypervisor.bench.WorkDir;
import dev.hypervisor.bench.HostLeftovers;
import dev.hypervisor.bench.images.BenchImages;
import dev.hypervisor.bench.images.HostProcesses;
import dev.hypervisor.host.Executables;
import dev.hypervisor.testkit.images.RegistryServer;
import dev.hypervisor.server.Hypervisord;
import dev.hypervisor.testkit.DaemonProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code bench/run.sh microvm}: the production hypervisord with its real microVM driver (QEMU
 * microvm under TCG, by default the small kernel scripts/microvm-kernel.sh builds from Debian's
 * source, or Debian's cloud kernel for figures 1 and 2: {@link BenchKernels}) in a separate JVM, driven over loopback gRPC, every
 * figure of the microVM issue printed beside the same QEMU command line started directly (and
 * plain {@code mkfs.ext4 -d}) in the same run.
 */
public final class MicroVmsBench {

    // Exit code: 0 when every figure passes, 1 when one misses its target, 2 on a usage error
    // or a broken run.

    private static final String MARKER = ".microvm-bench";
    private static final List<String> TOOLS = List.of("qemu-system-x86_64", "qemu-img", "mkfs.ext4", "docker-registry",
            "skopeo", "umoci", "ip", "iptables");

    private final MicroVmsOptions options;
    private final Report report = new Report();
    private final RunLog log = new RunLog();

    private MicroVmsBench(MicroVmsOptions options) {
        this.options = options;
    }

    public static void main(String[] args) {
        // Before any logger exists: the network adapter's info lines (clean-up) would drown the progress lines.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        BenchMain.main(new MicroVmsOptions(), args, options -> new MicroVmsBench(options).run());
    }

    private int run() throws Exception {
        options.check();
        for (String tool : TOOLS) {
            if (Executables.find(tool).isEmpty()) {
                throw new IllegalStateException(tool + " is not installed (bench/run.sh microvm installs what it needs)");
            }
        }
        BenchKernels kernels = new BenchKernels(log::progress);
        Path kernel = kernels.resolve(options.kernel);
        Path densityKernel = kernels.resolve(options.densityKernel);
        Path work = WorkDir.prepare(options.common.workDir(), MARKER);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String bridge = String.format(Locale.ROOT, "hvb%05x", random.nextInt(1 << 20));
        String subnet = "10.216." + random.nextInt(256) + ".0/24";
        System.out.printf(Locale.ROOT, "microvm benchmark%s: %d cores, load average %s, work dir %s, kernel %s (%d KiB),"
                + " figure 3's kernel %s (%d KiB), TCG%n", options.common.quick() ? " (--quick)" : "",
                Runtime.getRuntime().availableProcessors(), RunLog.loadAverage(), work, kernel, Files.size(kernel) / 1024,
                densityKernel, Files.size(densityKernel) / 1024);
        Path data = work.resolve("daemon/data");
        HostLeftovers leftovers = new HostLeftovers(work, bridge, subnet, work.resolve("run"));
        RegistryServer registry = RegistryServer.start(Files.createDirectories(work.resolve("registry")));
        ApiMicroVms[] api = new ApiMicroVms[1];
        // On SIGINT or a crash: the daemon is killed by its own hook; this kills the QEMUs of this
        // work dir (ours and the baseline's) and removes the bridge and mounts.
        Thread cleanUp = new Thread(() -> {
            killQemusUnder(work);
            leftovers.removeAll();
            registry.close();
        }, "microvm-clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        try {
            Path logs = Files.createDirectories(work.resolve("logs"));
            log.progress("registry on %s; building and pushing busybox and a %d MiB image", registry.host(),
                    options.randomFiles() * 8);
            Path layout = work.resolve("layout");
            BenchImages images = new BenchImages(layout, registry.host(), logs);
            String busybox = images.busybox().reference();
            String big = images.busyboxWithRandomFiles(options.randomFiles(), 8).reference();
            Path bundle = work.resolve("rootfs-bundle");
            HostProcesses.run(List.of("umoci", "unpack", "--image", layout + ":random", bundle.toString()),
                    logs.resolve("umoci-unpack.log"), Duration.ofSeconds(300));

            log.progress("starting hypervisord (real microVM driver, TCG) on bridge %s", bridge);
            Path registryConfig = work.resolve("daemon/registries.json");
            Files.createDirectories(registryConfig.getParent());
            // Docker Hub points at a closed loopback port: nothing can make the daemon reach past this machine.
            Files.writeString(registryConfig, "{\"servers\": {\"docker.io\": \"127.0.0.1:9\"}}");
            try (DaemonProcess daemon = BenchDaemon.start("microvm", Hypervisord.class.getName(),
                    List.of("--data-dir", data.toString(), "--node-id", "bench-node", "--bridge", bridge,
                            "--subnet", subnet, "--registry-config", registryConfig.toString(),
                            "--accelerator", "tcg", "--default-kernel", kernel.toString(),
                            "--kernel-dir", densityKernel.getParent().toString()),
                    work.resolve("daemon/daemon.log"), Duration.ofSeconds(120))) {
                try {
                    BenchDaemon.pull(daemon, busybox, log);
                    BenchDaemon.pull(daemon, big, log);
                    api[0] = new ApiMicroVms(daemon, data.resolve("microvms"));
                    daemon.awaitQuiet(Duration.ofSeconds(30));
                    log.progress("figure 1: boot to the first line, %d samples per side, %d boots in all",
                            options.samples, options.boots);
                    new BootFigure(api[0], busybox, Files.createDirectories(work.resolve("direct")), logs,
                            options.bootTimeoutSeconds, log::progress).run(options.samples, options.boots, report);
                    daemon.awaitQuiet(Duration.ofSeconds(30));
                    log.progress("figure 2: root filesystem of the %d MiB image, %d round(s)", options.randomFiles() * 8,
                            options.rootfsRounds);
                    new RootfsFigure(api[0], big, busybox, bundle.resolve("rootfs"), work, logs, log::progress)
                            .run(options.rootfsRounds, report);
                    daemon.awaitQuiet(Duration.ofSeconds(30));
                    log.progress("figure 3: %d microVMs of %d MiB at once", options.density, options.densityMib);
                    new DensityFigure(daemon, api[0], busybox, densityKernel, work, log::progress)
                            .run(options.density, options.densityMib, options.fallbackMib, report);
                } finally {
                    if (api[0] != null && !api[0].live().isEmpty()) {
                        try {
                            api[0].deleteAll(api[0].live(), Duration.ofSeconds(120));
                        } catch (RuntimeException e) {
                            System.err.println("warning: deleting the remaining microVMs failed: " + e.getMessage());
                        }
                    }
                }
            }
        } finally {
            killQemusUnder(work);
            leftovers.removeAll();
            registry.close();
            Runtime.getRuntime().removeShutdownHook(cleanUp);
        }

        System.out.println();
        report.print(System.out);
        System.out.printf(Locale.ROOT, "%nbaselines: 1 and 3 = the QEMU command line the driver ran (qemu.args plus its"
                + " accelerator), started directly on fresh copies of its disks; 2 = mkfs.ext4 -d with the driver's options"
                + " of the same tree, unpacked by umoci.%ntotal time %.0fs; other processes may have used the CPU meanwhile"
                + " (load average now %s).%n", log.seconds(), RunLog.loadAverage());
        if (!options.common.keep()) {
            WorkDir.delete(work);
        }
        return report.allPass() ? 0 : 1;
    }

    /** SIGKILLs every QEMU whose command line names a file under {@code dir}: this run's, and nobody else's. */
    static void killQemusUnder(Path dir) {
        String needle = dir.toAbsolutePath().normalize() + "/";
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                try {
                    String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmdline.startsWith("/") && cmdline.split("\0", 2)[0].endsWith("qemu-system-x86_64")
                            && cmdline.contains(needle)) {
                        DirectQemu.kill(Long.parseLong(proc.getFileName().toString()));
                    }
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            System.err.println("warning: cannot list /proc: " + e.getMessage());
        }
    }
}
