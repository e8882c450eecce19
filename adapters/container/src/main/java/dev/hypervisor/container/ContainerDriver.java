package dev.hypervisor.container;

import dev.hypervisor.core.image.ProcessSpec;
import dev.hypervisor.core.driver.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.driver.ConsoleSource;
import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.ExitListener;
import dev.hypervisor.core.driver.InstanceStats;
import dev.hypervisor.core.driver.Provisioned;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.driver.StatsSource;
import dev.hypervisor.core.image.ContainerConfig;
import dev.hypervisor.core.image.ImageInfo;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.image.PullListener;
import dev.hypervisor.core.image.RootFilesystems;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.network.NetworkAttachment;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.runtime.PhaseTimings;
import dev.hypervisor.host.AtomicFiles;
import dev.hypervisor.host.CgroupStats;
import dev.hypervisor.host.Deadline;
import dev.hypervisor.host.Executables;
import dev.hypervisor.host.FileTrees;
import dev.hypervisor.host.HaltGuard;
import dev.hypervisor.host.HostFailures;
import dev.hypervisor.host.InstanceCgroups;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code INSTANCE_TYPE_CONTAINER} instances: an OCI bundle over a writable snapshot of the
 * image, in a network namespace of the instance's network, created by the OCI runtime under
 * conmon and started by the runtime. Everything it makes lives under the options' root, named
 * by the instance id, so every step can look at the real world first and be repeated.
 */
public final class ContainerDriver implements Driver, StatsSource, ConsoleSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerDriver.class);
    private static final Duration POLL = Duration.ofMillis(20);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final Duration EXIT_FILE_WAIT = Duration.ofSeconds(2);
    private static final String STOP_SIGNAL_FILE = "stop-signal";

    private final ContainerOptions options;
    private final ImageStore images;
    private final RootFilesystems rootFilesystems;
    private final Networks networks;
    private final OciRuntime runtime;
    private final Conmon conmon;
    private final CgroupStats cgroups;
    private final ExitMonitor exits;
    private final PhaseTimings timings;
    // What prepare made in this daemon's life, so preparing again only checks it is still there.
    private final Map<String, Prepared> prepared = new ConcurrentHashMap<>();
    // Containers being stopped, killed or deleted on purpose (their exits are not news), and kills that win over starts.
    private final HaltGuard guard = new HaltGuard();
    private volatile ExitListener exitListener = (id, status) -> { };

    private ContainerDriver(ContainerOptions options, ImageStore images, RootFilesystems rootFilesystems,
            Networks networks, PhaseTimings timings) throws IOException {
        this.options = options;
        this.timings = timings;
        this.images = images;
        this.rootFilesystems = rootFilesystems;
        this.networks = networks;
        Files.createDirectories(ContainerDirs.exitDir(options.root()));
        Files.createDirectories(ContainerDirs.runtimeState(options.root()));
        this.runtime = new OciRuntime(options.runtime(), ContainerDirs.runtimeState(options.root()), options.runtimeArgs());
        this.conmon = new Conmon(options.conmon(), runtime);
        this.cgroups = new CgroupStats(InstanceCgroups.detect());
        this.exits = new ExitMonitor(ContainerDirs.exitDir(options.root()), this::onExitFile);
    }

    /** Checks that the runtime and conmon are there, and starts watching for exits. */
    public static ContainerDriver open(ContainerOptions options, ImageStore images, RootFilesystems rootFilesystems,
            Networks networks) {
        return open(options, images, rootFilesystems, networks, PhaseTimings.NONE);
    }

    /** As {@link #open(ContainerOptions, ImageStore, RootFilesystems, Networks)}, reporting each step's phases. */
    public static ContainerDriver open(ContainerOptions options, ImageStore images, RootFilesystems rootFilesystems,
            Networks networks, PhaseTimings timings) {
        requireTools(options);
        try {
            return new ContainerDriver(options, images, rootFilesystems, networks, timings);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up containers under " + options.root() + ": " + e.getMessage(), e);
        }
    }

    /** IllegalStateException naming the missing binary and its package, before anything is set up on the host. */
    public static void requireTools(ContainerOptions options) {
        Executables.require(options.runtimeName() + " conmon", options.runtime(), options.conmon());
    }

    @Override
    public InstanceType type() {
        return InstanceType.CONTAINER;
    }

    @Override
    public void setExitListener(ExitListener listener) {
        this.exitListener = listener;
    }

    @Override
    public Provisioned prepare(Instance instance) {
        ContainerDirs dirs = dirs(instance);
        Prepared earlier = prepared.get(instance.id());
        if (earlier != null && earlier.stillThere(dirs)) {
            return new Provisioned(earlier.ipAddress()); // the reconciler prepares again before each start
        }
        PhaseTimings.Stopwatch phases = timings.stopwatch("container");
        try {
            Files.createDirectories(dirs.dir());
            ImageInfo image = images.acquire(instance.spec().image(), instance.id(), PullListener.NONE)
                    .require(ImageInfo.Kind.CONTAINER, instance.spec().image(), "a container needs a container image");
            phases.lap("image");
            Path rootfs = rootFilesystems.create(instance.id(), image.digest());
            phases.lap("rootfs");
            NetworkAttachment network = loopbackOnly(instance) ? LOOPBACK_ONLY : networks.attachNamespace(instance);
            phases.lap("network");
            EtcFiles.write(dirs, instance.name(), network);
            List<OciConfig.Volume> volumes = Volumes.prepare(dirs, instance.spec().disks());
            ContainerConfig config = rootFilesystems.config(image.digest());
            ProcessSpec process = ProcessSpec.of(config, instance.spec(), instance.name());
            ImageUser user = ImageUser.resolve(rootfs, process.user());
            OciConfig.Input input = new OciConfig.Input(instance.id(), instance.name(), rootfs, process, user,
                    instance.spec().cpuCores(), instance.spec().memoryBytes(), options.pidsLimit(),
                    network.namespacePath(), dirs, volumes, !cgroups.unified());
            AtomicFiles.write(dirs.config(), OciConfig.serialize(OciConfig.build(input)));
            AtomicFiles.write(dirs.dir().resolve(STOP_SIGNAL_FILE), process.stopSignal());
            phases.lap("bundle");
            prepared.put(instance.id(), new Prepared(network.ipAddress(), rootfs,
                    network.namespacePath().isEmpty() ? null : Path.of(network.namespacePath()),
                    volumes.stream().map(OciConfig.Volume::hostPath).toList()));
            return new Provisioned(network.ipAddress());
        } catch (IllegalArgumentException e) {
            throw new DriverException(e.getMessage(), e);
        } catch (IOException | UncheckedIOException e) {
            throw new DriverException("preparing the container failed: " + e.getMessage(), e, HostFailures.retryable(e));
        }
    }

    @Override
    public void start(Instance instance) {
        ContainerDirs dirs = dirs(instance);
        String id = instance.id();
        try {
            PhaseTimings.Stopwatch phases = timings.stopwatch("container");
            Optional<OciRuntime.State> state = runtime.knows(id) ? runtime.state(id) : Optional.empty();
            if (state.isPresent() && state.get().running()) {
                return;
            }
            if (state.isPresent() && state.get().created()) {
                runtime.start(id); // a crash between create and start: conmon is there, finish the start
                return;
            }
            if (!Files.exists(dirs.config())) {
                prepare(instance);
            }
            long kills = guard.kills(id);
            try (HaltGuard.Hold hold = guard.hold(id)) {
                if (state.isPresent()) {
                    runtime.delete(id); // a stopped container of an earlier run
                }
                awaitConmonGone(dirs); // its conmon still holds the attach socket and FIFOs for a moment
                for (Path leftover : List.of(dirs.exitFile(), dirs.oomFile(), dirs.attachSocket(), dirs.ctlFifo(),
                        dirs.winszFifo(), dirs.conmonPidFile(), dirs.containerPidFile())) {
                    Files.deleteIfExists(leftover);
                }
            }
            phases.lap("leftovers");
            conmon.create(dirs, instance.name());
            phases.lap("conmon-create");
            runtime.start(id);
            phases.lap("runtime-start");
            if (guard.kills(id) != kills) {
                halt(instance, Duration.ZERO); // a kill came while the container was starting: it wins
                throw new DriverException("killed while starting");
            }
        } catch (IOException e) {
            throw new DriverException("starting the container failed: " + e.getMessage(), e, HostFailures.retryable(e));
        }
    }

    @Override
    public void stop(Instance instance, Duration timeout) {
        halt(instance, timeout);
    }

    @Override
    public void kill(Instance instance) {
        guard.killed(instance.id());
        halt(instance, Duration.ZERO);
    }

    /**
     * Sends the stop signal, waits up to {@code grace} for the container's init to exit, then
     * kills everything in the container; deletes it. The init's exit is awaited through its
     * process handle, not by asking the runtime over and over.
     */
    private void halt(Instance instance, Duration grace) {
        String id = instance.id();
        ContainerDirs dirs = dirs(instance);
        try (HaltGuard.Hold hold = guard.hold(id)) {
            Optional<OciRuntime.State> state = runtime.state(id);
            if (state.isPresent() && state.get().running()) {
                Optional<ProcessHandle> init = ProcessHandle.of(state.get().pid());
                if (!grace.isZero() && init.isPresent()) {
                    runtime.kill(id, stopSignal(dirs), false);
                    Deadline.awaitExit(init.get(), grace);
                }
                if (init.map(ProcessHandle::isAlive).orElse(false) || runtime.state(id).map(OciRuntime.State::running)
                        .orElse(false)) {
                    runtime.kill(id, "SIGKILL", true);
                    if (init.isPresent() && !Deadline.awaitExit(init.get(), KILL_WAIT)) {
                        throw new DriverException("the container did not die within " + KILL_WAIT.toSeconds()
                                + " s of SIGKILL");
                    }
                }
            }
            awaitExitFile(dirs);
            runtime.delete(id);
        } catch (IOException e) {
            throw new DriverException("stopping the container failed: " + e.getMessage(), e, HostFailures.retryable(e));
        }
    }

    @Override
    public void destroy(Instance instance) {
        String id = instance.id();
        ContainerDirs dirs = dirs(instance);
        try (HaltGuard.Hold hold = guard.hold(id)) {
            runtime.delete(id);
            awaitConmonGone(dirs);
            Volumes.unmountAll(dirs);
            rootFilesystems.remove(id);
            networks.detach(instance);
            Files.deleteIfExists(dirs.exitFile());
            FileTrees.delete(dirs.dir()); // never into a volume left mounted: that would empty it
            prepared.remove(id);
            cgroups.forget(id);
            // runc removes the cgroup on delete; runsc, or a runc that crashed, may leave it.
            InstanceCgroups.detect().remove(id, KILL_WAIT.toMillis());
            guard.forget(id);
        } catch (IOException | UncheckedIOException e) {
            throw new DriverException("removing the container failed: " + e.getMessage(), e, HostFailures.retryable(e));
        }
    }

    @Override
    public RuntimeStatus recover(Instance instance) {
        return inspect(instance);
    }

    @Override
    public RuntimeStatus inspect(Instance instance) {
        try {
            Optional<OciRuntime.State> state = runtime.state(instance.id());
            if (state.isPresent() && state.get().running()) {
                return RuntimeStatus.RUNNING;
            }
            return exitStatus(dirs(instance)).orElse(RuntimeStatus.ABSENT);
        } catch (IOException e) {
            throw new DriverException("inspecting the container failed: " + e.getMessage(), e, HostFailures.retryable(e));
        }
    }

    @Override
    public InstanceStats stats(Instance instance) {
        try {
            CgroupStats.Sample sample = cgroups.sample(instance.id());
            var net = networks.counters(instance);
            return new InstanceStats(instance.id(), sample.cpuPercent(), sample.cpuNanos(), sample.memoryBytes(),
                    sample.memoryLimitBytes(), sample.readBytes(), sample.writeBytes(), net.rxBytes(), net.txBytes(),
                    Instant.now());
        } catch (IOException e) {
            throw new DriverException("reading the container's cgroup failed: " + e.getMessage(), e);
        }
    }

    @Override
    public ConsoleSession attach(Instance instance, ConsoleOutput output) {
        try {
            return ContainerConsole.attach(dirs(instance), output);
        } catch (IOException e) {
            throw new DriverException("attaching to the container's console failed: " + e.getMessage(), e);
        }
    }

    /**
     * On network {@code none} the OCI runtime makes the container's network namespace itself
     * (a network namespace without a path), and runc brings its loopback up. That is exactly
     * the loopback-only namespace the network would make, without the two {@code ip} processes
     * per create (and one per delete) that a named namespace on the host costs.
     */
    private static boolean loopbackOnly(Instance instance) {
        NetworkSpec network = instance.spec().network();
        return network != null && NetworkSpec.NONE.equals(network.networkId());
    }

    private static final NetworkAttachment LOOPBACK_ONLY =
            new NetworkAttachment(NetworkSpec.NONE, "", "", 0, "", List.of(), List.of());

    /** What a prepared container stands on (no namespace: the runtime's own); all of it must still exist for a repeated prepare to be a no-op. */
    private record Prepared(String ipAddress, Path rootfs, Path namespace, List<Path> volumes) {
        boolean stillThere(ContainerDirs dirs) {
            try {
                if (!Files.exists(dirs.config()) || (namespace != null && !Files.exists(namespace))
                        || !Volumes.mounted(rootfs)) {
                    return false;
                }
                for (Path volume : volumes) {
                    if (!Volumes.mounted(volume)) {
                        return false;
                    }
                }
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** conmon wrote an exit file: tell the reconciler, unless the exit was ours. */
    private void onExitFile(String id) {
        if (guard.halting(id)) {
            return;
        }
        ContainerDirs dirs = new ContainerDirs(options.root(), id);
        try {
            exitStatus(dirs).ifPresent(status -> exitListener.onExit(id, status));
        } catch (IOException e) {
            LOG.warn("reading the exit of {}: {}", id, e.toString());
        }
    }

    /** The recorded exit of the container's last run, if conmon wrote one. */
    private static Optional<RuntimeStatus> exitStatus(ContainerDirs dirs) throws IOException {
        String code;
        try {
            code = Files.readString(dirs.exitFile(), StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (code.isEmpty()) {
            return Optional.empty(); // being written; the modify event follows
        }
        int exitCode;
        try {
            exitCode = Integer.parseInt(code);
        } catch (NumberFormatException e) {
            exitCode = -1;
        }
        return Optional.of(RuntimeStatus.exited(exitCode, exitReason(exitCode, Files.exists(dirs.oomFile()))));
    }

    /**
     * conmon's oom file says that some process of the container's cgroup was killed for memory,
     * not which: the container died of it only when its main process was the one SIGKILLed
     * (exit 137). A main process that outlived the kill of a child exited on its own terms.
     */
    static String exitReason(int exitCode, boolean oomKillInCgroup) {
        if (!oomKillInCgroup || exitCode == 0) {
            return "";
        }
        return exitCode == 137 ? "killed: out of memory"
                : "exited with code " + exitCode + " after a process in it was killed for lack of memory";
    }

    /** conmon writes the exit code right after the container dies; wait for it so the record is complete. */
    private static void awaitExitFile(ContainerDirs dirs) {
        Deadline.after(EXIT_FILE_WAIT).await(() -> !conmonAlive(dirs) || Files.exists(dirs.exitFile()), POLL);
    }

    /**
     * Ends the conmon of a container that is gone. Once the exit file is written conmon has
     * nothing left to do but tidy up, so it is asked to finish rather than waited for; one
     * that will not is killed, and its end awaited, so that a new conmon never meets it.
     */
    private static void awaitConmonGone(ContainerDirs dirs) {
        Optional<ProcessHandle> conmon = conmonPid(dirs).flatMap(ProcessHandle::of)
                .filter(handle -> handle.info().command().map(c -> c.endsWith("conmon")).orElse(false));
        if (conmon.isEmpty() || !conmon.get().isAlive()) {
            return;
        }
        if (Files.exists(dirs.exitFile())) {
            conmon.get().destroy();
        }
        if (!Deadline.awaitExit(conmon.get(), KILL_WAIT)) {
            conmon.get().destroyForcibly();
            Deadline.awaitExit(conmon.get(), EXIT_FILE_WAIT);
        }
    }

    private static boolean conmonAlive(ContainerDirs dirs) {
        return conmonPid(dirs).flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false);
    }

    private static Optional<Long> conmonPid(ContainerDirs dirs) {
        try {
            return Optional.of(Long.parseLong(Files.readString(dirs.conmonPidFile()).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String stopSignal(ContainerDirs dirs) {
        try {
            String signal = Files.readString(dirs.dir().resolve(STOP_SIGNAL_FILE), StandardCharsets.UTF_8).strip();
            return signal.isEmpty() ? "SIGTERM" : signal;
        } catch (IOException e) {
            return "SIGTERM";
        }
    }

    private ContainerDirs dirs(Instance instance) {
        return new ContainerDirs(options.root(), instance.id());
    }

    @Override
    public void close() {
        exits.close();
    }
}
