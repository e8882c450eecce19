package dev.hypervisor.bench.containers;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.NetworkSpec;
import dev.hypervisor.bench.BenchDaemon;
import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.JitActivity;
import dev.hypervisor.bench.PhaseScrape;
import dev.hypervisor.bench.RealDaemon;
import dev.hypervisor.bench.images.BenchImages;
import dev.hypervisor.testkit.images.RegistryServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code bench/run.sh containers}: hypervisord's real container driver beside plain runc and podman. */
public final class ContainersBench {

    private static final List<String> TOOLS = List.of("runc", "conmon", "docker-registry", "skopeo", "umoci", "ip",
            "iptables");

    private ContainersBench() {}

    public static void main(String[] args) {
        RealDaemon.main(args, new ContainersOptions(), TOOLS, "10.215", ContainersBench::run);
    }

    private static String run(ContainersOptions options, BenchRun run, RealDaemon host) throws Exception {
        run.header(String.format(", bridge %s (%s)", host.bridge(), host.subnet()));
        // Short, as podman wants it, and named after the bridge so that concurrent runs do not share it.
        Path podmanRunRoot = Path.of("/run/hvbench-" + host.bridge());
        host.outside(podmanRunRoot);
        host.runcRoot(host.data().resolve("containers/runtime"));
        host.runcRoot(run.work().resolve("runc/state"));
        RegistryServer registry = run.closing(RegistryServer.start(run.dir("registry")));
        run.progress("registry on %s; building and pushing busybox", registry.host());
        BenchImages images = new BenchImages(run.work().resolve("layout"), registry.host());
        String image = images.busybox().reference();
        String flood = images.busyboxWithYes().reference();
        RuncBundle runc = RuncBundle.prepare(images.layout(), "busybox", run.work().resolve("runc/bundle"),
                run.work().resolve("runc/state"), run.dir("runc/logs"));
        StringBuilder podmanWhy = new StringBuilder();
        Optional<PodmanBaseline> podman = PodmanBaseline.open(run.work().resolve("podman"), podmanRunRoot, image,
                podmanWhy);
        podman.ifPresent(p -> run.onCleanUp(p::removeAll));
        run.progress("podman: %s", podman.isPresent() ? "image pulled" : podmanWhy);

        // The metrics endpoint gives the driver's phase timings of figures 1 and 2.
        host.run("container driver", List.of("--metrics-listen", "127.0.0.1:0"), List.of(image),
                InstanceType.INSTANCE_TYPE_CONTAINER, 4, (daemon, api) -> {
            run.progress("figure 1: create->RUNNING latency, %d samples per side", options.latencySamples);
            PhaseScrape start = PhaseScrape.read(daemon.metricsPort(), "container");
            new CreateLatencyFigure(run, api, image, runc, podman, podmanWhy.toString())
                    .measure(options.latencyWarmUp, options.latencySamples);
            PhaseScrape afterOne = PhaseScrape.read(daemon.metricsPort(), "container");
            run.progress("figure 2: %d concurrent creates, %d round(s)", options.concurrent, options.concurrentRounds);
            daemon.awaitQuiet(Duration.ofSeconds(30));
            new ConcurrentCreateFigure(run, api, image, runc, daemon::cpuTicks,
                    () -> JitActivity.compilerTicks(daemon.pid())).measure(options.concurrent, options.concurrentWarmUp,
                    options.concurrentRounds);
            PhaseScrape afterMany = PhaseScrape.read(daemon.metricsPort(), "container");
            run.report().note("figures 1 and 2: the driver's phases, mean per container, one at a time (figure 1) -> %d"
                    + " at once (figure 2): %s; the rest of create->RUNNING is the daemon (the API, the store's commits,"
                    + " the reconciler's queue).", options.concurrent,
                    phaseTable(afterOne.meansSince(start), afterMany.meansSince(afterOne)));
            run.progress("figure 3: %d idle containers", options.idle);
            new IdleMemoryFigure(run, daemon, api, image, host.data().resolve("containers")).measure(options.idle);
            BenchDaemon.pull(daemon, flood, run);
            new ConsoleFloodFigure(run, daemon, api, flood).measure(Duration.ofSeconds(options.floodSeconds));
        });
        return "1 = runc create + runc start of a prepared bundle (the same busybox rootfs, runc spec's"
                + " config with sleep 100000), and " + (podman.isPresent() ? PodmanBaseline.COMMAND : "podman (n/a)")
                + "; 2 = runc run -d of the same bundle from as many threads; 3 = the PSS of the containers' own"
                + " conmons; 4 = the same GetInstance with no console viewer, and the daemon's RSS before the viewer"
                + " attached.";
    }

    private static String phaseTable(java.util.Map<String, Double> one, java.util.Map<String, Double> many) {
        StringBuilder out = new StringBuilder();
        double oneTotal = 0;
        double manyTotal = 0;
        for (var phase : many.entrySet()) {
            double alone = one.getOrDefault(phase.getKey(), Double.NaN);
            out.append(out.isEmpty() ? "" : ", ").append(String.format("%s %.1f -> %.1f ms", phase.getKey(), alone,
                    phase.getValue()));
            oneTotal += Double.isNaN(alone) ? 0 : alone;
            manyTotal += phase.getValue();
        }
        return out.append(String.format("; all phases %.1f -> %.1f ms", oneTotal, manyTotal)).toString();
    }

    /** A container of {@code image} running {@code command}: 1 core, 64 MiB, network "none". */
    static CreateInstanceRequest container(String name, String image, String... command) {
        return CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(64L << 20)
                        .setNetwork(NetworkSpec.newBuilder().setNetworkId("none")).addAllCommand(List.of(command)))
                .build();
    }
}
