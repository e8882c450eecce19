package dev.hypervisor.server;

import dev.hypervisor.container.ContainerOptions;
import dev.hypervisor.container.ContainerRuntime;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.runtime.RuntimePlugin;
import dev.hypervisor.core.network.Subnet;
import dev.hypervisor.core.reconcile.RetryPolicy;
import dev.hypervisor.core.usecase.Limits;
import dev.hypervisor.host.Executables;
import dev.hypervisor.host.HostLock;
import dev.hypervisor.images.ImageOptions;
import dev.hypervisor.images.LocalImageStore;
import dev.hypervisor.network.NetworkOptions;
import dev.hypervisor.qemu.VmOptions;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The hypervisord command line: parses the options and runs a {@link Daemon} until SIGTERM. */
@Command(name = "hypervisord", mixinStandardHelpOptions = true, version = "hypervisord 0.1.0",
        subcommands = {StoreCommand.class, TrustCommand.class, CertsCommand.class},
        description = "Serves hypervisor.v1.ComputeService: VMs, containers and microVMs on this host.")
public final class Hypervisord implements Callable<Integer> {

    @Option(names = "--listen", defaultValue = "127.0.0.1:50051", description = "gRPC address (HOST:PORT). Default: ${DEFAULT-VALUE}")
    String listen;

    @Option(names = "--data-dir", defaultValue = "data", description = "State directory (SQLite store). Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--store", defaultValue = "sqlite",
            description = "Where the state is kept: sqlite (DATA/state.db), sqlite:PATH (relative to the data"
                    + " directory) or etcd://HOST:PORT[,HOST:PORT...] (an etcd cluster several daemons may share)."
                    + " Default: ${DEFAULT-VALUE}")
    String store;

    @CommandLine.Mixin
    StoreAccessOptions storeAccess = new StoreAccessOptions();

    @Option(names = "--tls", description = "TLS on the gRPC listener also on loopback (it always is elsewhere, unless"
            + " --insecure-listen). Clients are trusted by fingerprint (hypervisord trust token) or by --client-ca."
            + " SIGHUP reads the certificate, key and client CA again.")
    boolean tls;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "This daemon's TLS certificate, with --tls-key. Default:"
            + " DATA/tls/server.crt, a self-signed one made on first start (its SHA-256 fingerprint is logged).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "The PKCS#8 PEM key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--client-ca", paramLabel = "PEM", description = "With TLS: a CA whose client certificates may call"
            + " besides those the trust store holds; a certificate's organization (O=viewer, O=operator, O=admin) is its role.")
    Path clientCa;

    @Option(names = "--peer-ca", paramLabel = "PEM", description = "With TLS: the cluster's CA; the nodes' certificates it"
            + " signed (hypervisord certs init-cluster) are callers with the admin role, named by their common name.")
    Path peerCa;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = UnixSocket.DEFAULT_CHOICE,
            description = "A unix socket to serve on as well (mode 0660; root and --socket-group are admin there), or off."
                    + " Default: " + UnixSocket.ROOT_DEFAULT + " when run as root, else off.")
    String socket;

    @Option(names = "--socket-group", defaultValue = "", paramLabel = "GROUP",
            description = "The group that owns --socket and may use it. Default: the daemon's own group.")
    String socketGroup;

    @Option(names = "--audit-log", paramLabel = "PATH", description = "One JSON line per mutating call and console attach,"
            + " rotated to PATH.1 at 16 MiB; off for none. Default: DATA/audit.log")
    String auditLog;

    @Option(names = "--insecure-listen", description = "Serve a --listen address off loopback in plaintext, where anyone who"
            + " reaches it is admin (logged as a warning on every start).")
    boolean insecureListen;

    @Option(names = "--metrics-listen", defaultValue = "127.0.0.1:9464",
            description = "Prometheus metrics address (HOST:PORT), or 'off'. Default: ${DEFAULT-VALUE}")
    String metricsListen;

    @Option(names = "--node-id", description = "This node's id. Default: the host name.")
    String nodeId;

    @Option(names = "--max-cpu-cores", defaultValue = "64", description = "Largest spec.cpu_cores accepted. Default: ${DEFAULT-VALUE}")
    int maxCpuCores;

    @Option(names = "--max-memory-bytes", defaultValue = "274877906944",
            description = "Largest spec.memory_bytes accepted. Default: ${DEFAULT-VALUE} (256 GiB)")
    long maxMemoryBytes;

    @Option(names = "--default-kernel", defaultValue = "",
            description = "Kernel for microVMs that name none: a bzImage path on this host (its modules beside it"
                    + " or under /lib/modules) or a kernel image reference. Default: none (spec.kernel is required).")
    String defaultKernel;

    @Option(names = "--kernel-dir", paramLabel = "DIR",
            description = "A directory whose files instances may boot by host path (spec.kernel, the"
                    + " hypervisor.dev/initrd annotation); repeatable. Default: DATA/kernels, and the directory of a"
                    + " --default-kernel path. Kernels elsewhere come from the image store by reference.")
    List<Path> kernelDirs = new java.util.ArrayList<>();

    @Option(names = "--relist-interval", defaultValue = "10", description = "Seconds between relists of running instances. Default: ${DEFAULT-VALUE}")
    int relistSeconds;

    @Option(names = "--retry-attempts", defaultValue = "5", paramLabel = "N",
            description = "Attempts of a step (a pull, a start, a stop) that fails in a way worth retrying, before the"
                    + " instance is in ERROR. Default: ${DEFAULT-VALUE}")
    int retryAttempts;

    @Option(names = "--retry-delay-ms", defaultValue = "1000", paramLabel = "MS",
            description = "Wait before the first retry; it doubles with each, up to 30 s. Default: ${DEFAULT-VALUE}")
    long retryDelayMillis;

    @Option(names = "--registry-config", description = "Registry settings: mirrors, insecure registries, credentials"
            + " (JSON; see adapters/images/README-registry.md).")
    Path registryConfig;

    @Option(names = "--image-catalog", description = "Image aliases that add to or replace the shipped ones (JSON).")
    Path imageCatalog;

    @Option(names = "--allow-local-image-urls",
            description = "Let PullImage fetch disk URLs on loopback and link-local addresses (the node's own services,"
                    + " cloud metadata). Default: refused.")
    boolean allowLocalImageUrls;

    @Option(names = "--bridge", defaultValue = NetworkOptions.DEFAULT_BRIDGE,
            description = "Bridge of the default network. Default: ${DEFAULT-VALUE}")
    String bridge;

    @Option(names = "--subnet", defaultValue = NetworkOptions.DEFAULT_SUBNET,
            description = "IPv4 subnet of the default network; the bridge takes its first address. Default: ${DEFAULT-VALUE}")
    String subnet;

    @Option(names = "--oci-runtime", defaultValue = "runc",
            description = "OCI runtime for containers: runc, crun, or a path. Default: ${DEFAULT-VALUE}")
    String ociRuntime;

    @Option(names = "--container-runtime", defaultValue = "runc",
            description = "Runtime class of containers whose spec names none: runc, or runsc (gVisor). Default: ${DEFAULT-VALUE}")
    String containerRuntime;

    @Option(names = "--runsc-network", defaultValue = "none",
            description = "runsc's networking: none (loopback only; the only kind Debian 12's runsc runs on kernels"
                    + " from 6.10, google/gvisor#10704) or sandbox (its own network stack on the node's network)."
                    + " Default: ${DEFAULT-VALUE}")
    String runscNetwork;

    @Option(names = "--accelerator", defaultValue = "auto",
            description = "How VMs run: kvm, tcg, or auto (KVM when a short probe boots a guest with it). Default: ${DEFAULT-VALUE}")
    String accelerator;

    @Option(names = "--min-free-bytes", defaultValue = "268435456",
            description = "Free space the data directory keeps: below it the node is full (health NOT_SERVING, pulls"
                    + " refused), and pulls that would go below it are refused up front. Default: ${DEFAULT-VALUE} (256 MiB)")
    long minFreeBytes;

    @Option(names = "--disk-reserve-bytes", defaultValue = "67108864",
            description = "A file of this size held in the data directory and given up when a store write finds the"
                    + " disk full, so that deletes still work; 0: none. Default: ${DEFAULT-VALUE} (64 MiB)")
    long diskReserveBytes;

    @Option(names = "--shutdown-grace", defaultValue = "10", description = "Seconds in-flight calls get on SIGTERM. Default: ${DEFAULT-VALUE}")
    int graceSeconds;

    private final UnaryOperator<DaemonConfig> customizer;

    public Hypervisord() {
        this(UnaryOperator.identity());
    }

    /** With a last say over the configuration: embedders and tests add drivers or an image store here. */
    public Hypervisord(UnaryOperator<DaemonConfig> customizer) {
        this.customizer = customizer;
    }

    public static void main(String[] args) {
        System.exit(run(args, UnaryOperator.identity()));
    }

    /** Parses the arguments and runs the daemon until SIGTERM; returns the exit code. */
    public static int run(String[] args, UnaryOperator<DaemonConfig> customizer) {
        // Every container start and stop forks host tools (mount, conmon, runc). JDK 17 launches
        // them through posix_spawn of jspawnhelper, which then execs the tool: one exec more
        // per process. vfork execs the tool directly: 0.64 instead of 1.13 ms per spawn
        // measured here with a daemon-sized heap. Read once, when the first process starts;
        // an explicit -Djdk.lang.Process.launchMechanism wins. Newer JDKs deprecate VFORK (25 warns
        // on stderr and it is to be removed), so only the JDKs that support it quietly get it.
        if (System.getProperty("jdk.lang.Process.launchMechanism") == null && Runtime.version().feature() <= 21) {
            System.setProperty("jdk.lang.Process.launchMechanism", "VFORK");
        }
        return new CommandLine(new Hypervisord(customizer)).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        String node = nodeId == null || nodeId.isBlank() ? InetAddress.getLocalHost().getHostName() : nodeId;
        HostPort grpc = HostPort.parse(listen, "--listen");
        DaemonConfig config = DaemonConfig.defaults(dataDir, node)
                .withListen(grpc.host(), grpc.port())
                .withLimits(Limits.defaults().withMaxCpuCores(maxCpuCores).withMaxMemoryBytes(maxMemoryBytes)
                        .withSubnet(dev.hypervisor.core.instance.NetworkSpec.DEFAULT, Subnet.parse(subnet)))
                .withRelistInterval(Duration.ofSeconds(relistSeconds))
                .withRetries(retries())
                .withDisk(new DaemonConfig.DiskPolicy(minFreeBytes, diskReserveBytes))
                .withStore(storeLocation())
                .withTransport(transport());
        if (auditLog != null) {
            config = config.withAuditLog(auditLog.equals("off") ? null : Path.of(auditLog));
        }
        ImageOptions imageOptions = ImageOptions.defaults();
        if (registryConfig != null) {
            imageOptions = imageOptions.withRegistryConfig(registryConfig);
        }
        if (imageCatalog != null) {
            imageOptions = imageOptions.withCatalog(imageCatalog);
        }
        if (allowLocalImageUrls) {
            imageOptions = imageOptions.withLocalUrlsAllowed();
        }
        imageOptions = imageOptions.withMinFreeBytes(minFreeBytes);
        ContainerOptions containers = ContainerOptions.defaults(dataDir.resolve("containers"));
        if (!ociRuntime.equals("runc")) {
            containers = containers.withRuntime(ociRuntime.contains("/")
                    ? Path.of(ociRuntime) : Executables.findOr(ociRuntime, Path.of(ociRuntime)));
        }
        VmOptions vms = VmOptions.defaults(dataDir.resolve("vms")).withAccelerator(accelerator(accelerator))
                .withKernelDirs(kernelDirectories());
        boolean gvisorNetworked = switch (runscNetwork) {
            case "none" -> false;
            case "sandbox" -> true;
            default -> throw new CommandLine.ParameterException(new CommandLine(new Hypervisord()),
                    "--runsc-network: expected none or sandbox, got " + runscNetwork);
        };
        ContainerOptions gvisor = ContainerOptions.defaults(dataDir.resolve("containers-runsc"))
                .withRuntime(Executables.findOr("runsc", Path.of("/usr/bin/runsc")))
                .withRuntimeArgs(gvisorNetworked ? List.of("--network=sandbox") : ContainerRuntime.RUNSC_WITHOUT_NETWORK);
        List<RuntimePlugin> runtimes = RuntimeCatalog.all(new RuntimeCatalog.Settings(containers, gvisor, gvisorNetworked,
                vms, vms.withRoot(dataDir.resolve("microvms")), defaultKernel));
        if (runtimes.stream().noneMatch(r -> r.type() == InstanceType.CONTAINER && r.name().equals(containerRuntime))) {
            throw new CommandLine.ParameterException(new CommandLine(new Hypervisord()),
                    "--container-runtime: expected runc or runsc, got " + containerRuntime);
        }
        ImageOptions images = imageOptions;
        config = config.withImageStore(store -> LocalImageStore.open(dataDir.resolve("images"), store, images, node))
                .withNetworks(new HostNetwork(NetworkOptions.defaults().withBridgeName(bridge).withSubnet(subnet)))
                .withRuntimes(runtimes)
                .withDefaultRuntimes(Map.of(InstanceType.CONTAINER, containerRuntime));
        if (metricsListen.equals("off")) {
            config = config.withMetrics("", -1);
        } else {
            HostPort metrics = HostPort.parse(metricsListen, "--metrics-listen");
            config = config.withMetrics(metrics.host(), metrics.port());
        }
        // The data directory belongs to one daemon; so does the bridge, locked when the network opens.
        try (HostLock data = HostLock.acquire(dataDir.resolve("hypervisord.lock"),
                "the data directory " + dataDir.toAbsolutePath())) {
            return serveUntilSignalled(Daemon.start(customizer.apply(config)));
        } catch (HostLock.Held e) {
            System.err.println("hypervisord: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            // Set-up refused as asked: a listener that cannot be secured, a socket another daemon serves, a readable secret.
            System.err.println("hypervisord: " + e.getMessage());
            return 1;
        } catch (dev.hypervisor.core.error.DomainException e) {
            if (e.code() != dev.hypervisor.core.error.ErrorCode.UNAVAILABLE) {
                throw e;
            }
            // The store out of reach at start-up (etcd down or a wrong address): say so in one line.
            System.err.println("hypervisord: " + e.getMessage());
            return 1;
        }
    }

    private int serveUntilSignalled(Daemon daemon) throws InterruptedException {
        // SIGTERM and SIGINT are the normal way to stop a daemon: shut down cleanly and exit 0.
        CountDownLatch stopped = new CountDownLatch(1);
        Thread shutdown = new Thread(() -> {
            daemon.shutdown(Duration.ofSeconds(graceSeconds));
            stopped.countDown();
        }, "shutdown");
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        sun.misc.SignalHandler onSignal = signal -> {
            if (once.compareAndSet(false, true)) {
                shutdown.start();
            }
        };
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), onSignal);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), onSignal);
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> daemon.reloadTls());
        daemon.awaitTermination();
        stopped.await();
        return 0;
    }

    private RetryPolicy retries() {
        if (retryAttempts < 1) {
            throw new CommandLine.ParameterException(new CommandLine(new Hypervisord()),
                    "--retry-attempts: at least 1, got " + retryAttempts);
        }
        if (retryDelayMillis < 1) {
            throw new CommandLine.ParameterException(new CommandLine(new Hypervisord()),
                    "--retry-delay-ms: at least 1, got " + retryDelayMillis);
        }
        Duration first = Duration.ofMillis(retryDelayMillis);
        Duration max = Duration.ofSeconds(30);
        return new RetryPolicy(retryAttempts, first, first.compareTo(max) > 0 ? first : max);
    }

    private DaemonConfig.Transport transport() {
        CommandLine cli = new CommandLine(new Hypervisord());
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new CommandLine.ParameterException(cli, "--tls-cert and --tls-key go together");
        }
        boolean offLoopback = !ListenerSecurity.loopback(HostPort.parse(listen, "--listen").host());
        boolean wantTls = tls || tlsCert != null || (offLoopback && !insecureListen);
        if (insecureListen && (tls || tlsCert != null)) {
            throw new CommandLine.ParameterException(cli, "--insecure-listen and --tls/--tls-cert contradict each other");
        }
        if ((clientCa != null || peerCa != null) && !wantTls) {
            throw new CommandLine.ParameterException(cli, (clientCa != null ? "--client-ca" : "--peer-ca")
                    + " is for TLS: add --tls (or --tls-cert and --tls-key)");
        }
        Path cert = tlsCert;
        Path key = tlsKey;
        if (wantTls && cert == null) {
            dev.hypervisor.tls.SelfSigned.Pair made = ServerCertificate.ensure(dataDir.resolve("tls"), HostPort.parse(listen, "--listen").host());
            cert = made.cert();
            key = made.key();
        }
        return new DaemonConfig.Transport(wantTls ? cert : null, wantTls ? key : null, clientCa, peerCa, insecureListen, null,
                null)
                .withSocket(UnixSocket.path(socket, isRoot()), socketGroup.isEmpty() ? null : socketGroup);
    }

    private static boolean isRoot() {
        try {
            return "0".equals(String.valueOf(java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid")));
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private StoreLocation storeLocation() {
        try {
            return storeAccess.applyTo(StoreLocation.parse(store));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(new Hypervisord()), e.getMessage());
        }
    }

    private List<Path> kernelDirectories() {
        List<Path> dirs = new java.util.ArrayList<>(kernelDirs.isEmpty() ? List.of(dataDir.resolve("kernels")) : kernelDirs);
        if (defaultKernel.startsWith("/") && Path.of(defaultKernel).getParent() != null) {
            dirs.add(Path.of(defaultKernel).getParent());
        }
        return dirs;
    }

    private static VmOptions.Accelerator accelerator(String value) {
        try {
            return VmOptions.Accelerator.valueOf(value.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(new Hypervisord()),
                    "--accelerator: expected kvm, tcg or auto, got " + value);
        }
    }

    /** A HOST:PORT option value. */
    record HostPort(String host, int port) {
        static HostPort parse(String value, String option) {
            int colon = value.lastIndexOf(':');
            try {
                return new HostPort(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw new CommandLine.ParameterException(new CommandLine(new Hypervisord()),
                        option + ": expected HOST:PORT, got " + value);
            }
        }
    }
}
