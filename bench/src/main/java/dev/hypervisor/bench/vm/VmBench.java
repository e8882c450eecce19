package dev.hypervisor.bench.vm;

import com.sun.net.httpserver.HttpServer;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DiskSpec;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.Metadata;
import dev.hypervisor.bench.BenchMain;
import dev.hypervisor.bench.BenchDaemon;
import dev.hypervisor.bench.HostLeftovers;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.RunLog;
import dev.hypervisor.bench.WorkDir;
import dev.hypervisor.host.Executables;
import dev.hypervisor.server.Hypervisord;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.qemu.Machine;
import dev.hypervisor.vm.Q35Machine;
import dev.hypervisor.testkit.guest.GuestDisk;
import dev.hypervisor.testkit.guest.GuestInitramfs;
import dev.hypervisor.testkit.guest.GuestKernel;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code bench/run.sh vm}: the production hypervisord with its real VM driver in a separate
 * JVM, driven over loopback gRPC, booting the VM tests' guest (Debian's cloud kernel and a
 * busybox initramfs, a small qcow2 disk pulled over HTTP); every figure beside the same QEMU
 * command line started directly in the same run.
 */
public final class VmBench {

    // Exit code: 0 when every figure passes, 1 when one misses its target, 2 on a usage error
    // or a broken run.

    private static final String MARKER = ".vm-bench";
    private static final List<String> TOOLS = List.of("qemu-system-x86_64", "qemu-img", "genisoimage", "mkfs.ext4",
            "ip", "iptables");
    private static final long MEMORY_BYTES = 256L << 20;
    private static final Duration DELETE_TIMEOUT = Duration.ofSeconds(120);

    private final VmOptions options;
    private final Report report = new Report();
    private final RunLog log = new RunLog();

    private VmBench(VmOptions options) {
        this.options = options;
    }

    public static void main(String[] args) {
        // Before any logger exists: the network adapter's info lines (clean-up) would drown the progress lines.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        BenchMain.main(new VmOptions(), args, options -> new VmBench(options).run());
    }

    private int run() throws Exception {
        for (String tool : TOOLS) {
            if (Executables.find(tool).isEmpty()) {
                throw new IllegalStateException(tool + " is not installed (bench/run.sh vm installs what it needs)");
            }
        }
        Path work = WorkDir.prepare(options.common.workDir(), MARKER);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String bridge = String.format(Locale.ROOT, "hvb%05x", random.nextInt(1 << 20));
        String subnet = "10.216." + random.nextInt(256) + ".0/24";
        System.out.printf(Locale.ROOT, "vm benchmark%s: %d cores, load average %s, work dir %s, bridge %s (%s),"
                + " accelerator %s%n", options.common.quick() ? " (--quick)" : "", Runtime.getRuntime().availableProcessors(),
                RunLog.loadAverage(), work, bridge, subnet, options.accelerator());
        Path data = work.resolve("daemon/data");
        Path logs = Files.createDirectories(work.resolve("logs"));
        HostLeftovers leftovers = new HostLeftovers(work, bridge, subnet, work.resolve("outside"));
        QemuLeftovers qemus = new QemuLeftovers(data.resolve("vms"));

        log.progress("guest: Debian cloud kernel, busybox initramfs, ext4 disk served over HTTP");
        GuestKernel kernel = GuestKernel.get();
        Path guest = Files.createDirectories(work.resolve("guest"));
        Path initramfs = guest.resolve("initramfs.gz");
        GuestInitramfs.write(kernel, initramfs);
        Path disk = GuestDisk.write(guest.resolve("disk.qcow2"), "vm-bench");
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/disk.qcow2", exchange -> {
            exchange.sendResponseHeaders(200, Files.size(disk));
            try (OutputStream body = exchange.getResponseBody()) {
                Files.copy(disk, body);
            }
        });
        http.start();
        String image = "http://127.0.0.1:" + http.getAddress().getPort() + "/disk.qcow2";

        DirectQemu[] direct = new DirectQemu[1];
        ApiVms[] api = new ApiVms[1];
        // On SIGINT or a crash: the daemon is killed by its own hook; this ends the QEMUs and
        // removes the TAPs, cgroups and bridge they leave.
        Thread cleanUp = new Thread(() -> {
            if (direct[0] != null) {
                try {
                    direct[0].kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (api[0] != null) {
                leftovers.instances(api[0].live());
            }
            qemus.removeAll();
            leftovers.removeAll();
            http.stop(0);
        }, "vm-clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        try {
            log.progress("starting hypervisord (real VM driver) on bridge %s", bridge);
            Path registryConfig = work.resolve("daemon/registries.json");
            Files.createDirectories(registryConfig.getParent());
            // Docker Hub points at a closed loopback port: nothing can make the daemon reach past this machine.
            Files.writeString(registryConfig, "{\"servers\": {\"docker.io\": \"127.0.0.1:9\"}}");
            try (DaemonProcess daemon = BenchDaemon.start("vm", Hypervisord.class.getName(),
                    List.of("--data-dir", data.toString(), "--node-id", "bench-node", "--bridge", bridge,
                            "--subnet", subnet, "--registry-config", registryConfig.toString(),
                            "--accelerator", options.accelerator(), "--allow-local-image-urls",
                            "--kernel-dir", kernel.vmlinuz().getParent().toString(),
                            "--kernel-dir", initramfs.getParent().toString()),
                    work.resolve("daemon/daemon.log"), Duration.ofSeconds(120))) {
                try {
                    BenchDaemon.pull(daemon, image, log);
                    api[0] = new ApiVms(daemon, template(image, kernel.vmlinuz(), initramfs), GuestInitramfs.READY);
                    log.progress("reference VM: boot it, read the QEMU command line hypervisord ran, stop it");
                    ApiVms.Boot reference = api[0].createAndBoot("reference", Duration.ofSeconds(300));
                    Path vmDir = data.resolve("vms").resolve(reference.id());
                    long pid = Long.parseLong(Files.readString(vmDir.resolve("run")).strip());
                    List<String> command = DirectQemu.commandLineOf(pid);
                    api[0].stop(reference.id());
                    direct[0] = new DirectQemu(command, vmDir, logs.resolve("direct-qemu.log"));
                    daemon.awaitQuiet(Duration.ofSeconds(30));
                    log.progress("figure 1: CreateInstance->first console line, %d samples per side", options.samples);
                    new BootLatencyFigure(api[0], direct[0], GuestInitramfs.READY, log::progress)
                            .run(options.samples, report);
                    log.progress("figure 2: memory of an idle VM, %d sample(s) per side", options.memorySamples);
                    new VmMemoryFigure(api[0], direct[0], data.resolve("vms"), MEMORY_BYTES, GuestInitramfs.READY,
                            log::progress).run(options.memorySamples, report);
                    report.note("baseline command line (%d arguments): %s", command.size(), String.join(" ", command));
                } finally {
                    if (direct[0] != null) {
                        direct[0].kill(); // before the reference VM's files go with it
                    }
                    if (api[0] != null && !api[0].live().isEmpty()) {
                        leftovers.instances(api[0].live());
                        try {
                            api[0].deleteAll(api[0].live(), DELETE_TIMEOUT);
                        } catch (RuntimeException e) {
                            System.err.println("warning: deleting the remaining VMs failed: " + e.getMessage());
                        }
                    }
                }
            }
        } finally {
            qemus.removeAll();
            leftovers.removeAll();
            http.stop(0);
            Runtime.getRuntime().removeShutdownHook(cleanUp);
        }

        System.out.println();
        report.print(System.out);
        System.out.printf(Locale.ROOT, "%nbaselines: the QEMU command line hypervisord ran for a reference VM (from its"
                + " /proc/<pid>/cmdline), started directly on that VM's files while it is stopped, its console read"
                + " from QEMU's socket.%ntotal time %.0fs; other processes may have used the CPU meanwhile (load average"
                + " now %s).%n", log.seconds(), RunLog.loadAverage());
        if (!options.common.keep()) {
            WorkDir.delete(work);
        }
        return report.allPass() ? 0 : 1;
    }

    /** A 1-vCPU VM of 256 MiB with a 64 MiB ssd boot disk over the image, on the default network, booting the test kernel. */
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
