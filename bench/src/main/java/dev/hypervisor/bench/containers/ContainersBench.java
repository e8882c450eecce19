package dev.hypervisor.bench.containers;

import dev.hypervisor.bench.BenchMain;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.NetworkSpec;
import dev.hypervisor.bench.BenchDaemon;
import dev.hypervisor.bench.HostLeftovers;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.RunLog;
import dev.hypervisor.bench.TimedInstances;
import dev.hypervisor.bench.WorkDir;
import dev.hypervisor.bench.images.BenchImages;
import dev.hypervisor.host.Executables;
import dev.hypervisor.testkit.images.RegistryServer;
import dev.hypervisor.server.Hypervisord;
import dev.hypervisor.testkit.DaemonProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code bench/run.sh containers}: the production hypervisord with its real container driver
 * (runc under conmon, a bridge of its own) in a separate JVM, driven over loopback gRPC, every
 * figure of the container issue printed beside plain runc (and podman) measured in the same run.
 */
public final class ContainersBench {

    // Exit code: 0 when every figure passes, 1 when one misses its target, 2 on a usage error
    // or a broken run.

    private static final String MARKER = ".containers-bench";
    private static final List<String> TOOLS = List.of("runc", "conmon", "docker-registry", "skopeo", "umoci", "ip",
            "iptables");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final ContainersOptions options;
    private final Report report = new Report();
    private final RunLog log = new RunLog();

    private ContainersBench(ContainersOptions options) {
        this.options = options;
    }

    public static void main(String[] args) {
        // Before any logger exists: the network adapter's info lines (clean-up) would drown the progress lines.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        BenchMain.main(new ContainersOptions(), args, options -> new ContainersBench(options).run());
    }

    private int run() throws Exception {
        for (String tool : TOOLS) {
            if (Executables.find(tool).isEmpty()) {
                throw new IllegalStateException(tool + " is not installed (bench/run.sh containers installs what it needs)");
            }
        }
        Path work = WorkDir.prepare(options.common.workDir(), MARKER);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String bridge = String.format(Locale.ROOT, "hvb%05x", random.nextInt(1 << 20));
        String subnet = "10.215." + random.nextInt(256) + ".0/24";
        System.out.printf(Locale.ROOT, "containers benchmark%s: %d cores, load average %s, work dir %s, bridge %s (%s)%n",
                options.common.quick() ? " (--quick)" : "", Runtime.getRuntime().availableProcessors(), RunLog.loadAverage(),
                work, bridge, subnet);
        Path data = work.resolve("daemon/data");
        // Short, as podman wants it, and named after the bridge so that concurrent runs do not share it.
        Path podmanRunRoot = Path.of("/run/hvbench-" + bridge);
        HostLeftovers leftovers = new HostLeftovers(work, bridge, subnet, podmanRunRoot);
        leftovers.runcRoot(data.resolve("containers/runtime"));
        leftovers.runcRoot(work.resolve("runc/state"));
        RegistryServer registry = RegistryServer.start(Files.createDirectories(work.resolve("registry")));
        Optional<PodmanBaseline>[] podman = new Optional[] {Optional.empty()};
        TimedInstances[] api = new TimedInstances[1];
        // On SIGINT or a crash: the daemon and child processes are killed by their own hooks; this
        // removes the containers, namespaces, mounts and bridge they leave.
        Thread cleanUp = new Thread(() -> {
            podman[0].ifPresent(PodmanBaseline::removeAll);
            if (api[0] != null) {
                leftovers.instances(api[0].live());
            }
            leftovers.removeAll();
            registry.close();
        }, "containers-clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        try {
            Path logs = Files.createDirectories(work.resolve("logs"));
            log.progress("registry on %s; building and pushing busybox", registry.host());
            Path layout = work.resolve("layout");
            BenchImages images = new BenchImages(layout, registry.host(), logs);
            String image = images.busybox().reference();
            String flood = images.busyboxWithYes().reference();
            RuncBundle runc = RuncBundle.prepare(layout, "busybox", work.resolve("runc/bundle"), work.resolve("runc/state"),
                    Files.createDirectories(work.resolve("runc/logs")));
            StringBuilder podmanWhy = new StringBuilder();
            podman[0] = PodmanBaseline.open(work.resolve("podman"), podmanRunRoot, image, podmanWhy);
            log.progress("podman: %s", podman[0].isPresent() ? "image pulled" : podmanWhy);

            log.progress("starting hypervisord (real container driver) on bridge %s", bridge);
            Path registryConfig = work.resolve("daemon/registries.json");
            Files.createDirectories(registryConfig.getParent());
            // Docker Hub points at a closed loopback port: nothing can make the daemon reach past this machine.
            Files.writeString(registryConfig, "{\"servers\": {\"docker.io\": \"127.0.0.1:9\"}}");
            try (DaemonProcess daemon = BenchDaemon.start("containers", Hypervisord.class.getName(),
                    List.of("--data-dir", data.toString(), "--node-id", "bench-node", "--bridge", bridge,
                            "--subnet", subnet, "--registry-config", registryConfig.toString()),
                    work.resolve("daemon/daemon.log"), START_TIMEOUT)) {
                try {
                    BenchDaemon.pull(daemon, image, log);
                    api[0] = new TimedInstances(daemon, InstanceType.INSTANCE_TYPE_CONTAINER, 4);
                    daemon.awaitQuiet(Duration.ofSeconds(30));
                    log.progress("figure 1: create->RUNNING latency, %d samples per side", options.latencySamples);
                    new CreateLatencyFigure(api[0], image, runc, podman[0], podmanWhy.toString(), log::progress)
                            .run(options.latencyWarmUp, options.latencySamples, report);
                    log.progress("figure 2: %d concurrent creates, %d round(s)", options.concurrent,
                            options.concurrentRounds);
                    daemon.awaitQuiet(Duration.ofSeconds(30));
                    new ConcurrentCreateFigure(api[0], image, runc, log::progress)
                            .run(options.concurrent, options.concurrentRounds, report);
                    log.progress("figure 3: %d idle containers", options.idle);
                    new IdleMemoryFigure(daemon, api[0], image, data.resolve("containers"), logs, log::progress)
                            .run(options.idle, report);
                    BenchDaemon.pull(daemon, flood, log);
                    new ConsoleFloodFigure(daemon, api[0], flood, log::progress)
                            .run(Duration.ofSeconds(options.floodSeconds), report);
                } finally {
                    // Containers outlive the daemon by design: remove them through the API before it stops.
                    if (api[0] != null && !api[0].live().isEmpty()) {
                        leftovers.instances(api[0].live());
                        try {
                            api[0].deleteAll(api[0].live(), Duration.ofSeconds(120));
                        } catch (RuntimeException e) {
                            System.err.println("warning: deleting the remaining containers failed: " + e.getMessage());
                        }
                    }
                }
            }
        } finally {
            podman[0].ifPresent(PodmanBaseline::removeAll);
            leftovers.removeAll();
            registry.close();
            Runtime.getRuntime().removeShutdownHook(cleanUp);
        }

        System.out.println();
        report.print(System.out);
        System.out.printf(Locale.ROOT, "%nbaselines: 1 = runc create + runc start of a prepared bundle (the same busybox"
                + " rootfs, runc spec's config with sleep 100000), and %s; 2 = runc run -d of the same bundle from as many"
                + " threads; 3 = the PSS of the containers' own conmons; 4 = the same GetInstance with no console"
                + " viewer, and the daemon's RSS before the viewer attached.%ntotal time %.0fs; other processes may have used"
                + " the CPU meanwhile (load average now %s).%n",
                podman[0].map(PodmanBaseline::describe).orElse("podman (n/a)"), log.seconds(), RunLog.loadAverage());
        if (!options.common.keep()) {
            WorkDir.delete(work);
        }
        return report.allPass() ? 0 : 1;
    }

    /** A container of {@code image} running {@code command}: 1 core, 64 MiB, network "none". */
    static CreateInstanceRequest container(String name, String image, String... command) {
        return CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(64L << 20)
                        .setNetwork(NetworkSpec.newBuilder().setNetworkId("none")).addAllCommand(List.of(command)))
                .build();
    }
}
