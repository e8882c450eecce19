package dev.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.core.driver.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.driver.ConsoleSource;
import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.ExitListener;
import dev.hypervisor.core.driver.InstanceStats;
import dev.hypervisor.core.driver.Provisioned;
import dev.hypervisor.core.driver.Resettable;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.driver.StatsSource;
import dev.hypervisor.core.image.DiskImages;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.image.RootFilesystems;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.network.NetworkCounters;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.host.AtomicFiles;
import dev.hypervisor.host.Deadline;
import dev.hypervisor.host.Executables;
import dev.hypervisor.host.FileTrees;
import dev.hypervisor.host.HaltGuard;
import dev.hypervisor.host.HostFailures;
import dev.hypervisor.host.InstanceCgroups;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs QEMU guests of one {@link Machine} (the vm module's q35, the microvm module's
 * microvm): what every QEMU guest shares, once. QEMU runs sandboxed as an unprivileged user ({@link QemuSandbox}),
 * detached in a session of its own so that a guest outlives the daemon ({@link QemuLaunch}), and the driver holds
 * its QMP socket and serial console while it runs ({@link RunningVm} explains how a guest's
 * power-off is told from QEMU dying); KVM when the host's KVM boots a kernel, TCG otherwise.
 * Everything lives under the options' root in a directory named by the instance id, so each
 * step looks at the real world first and can be repeated. QEMU runs in the instance's own
 * cgroup ({@link InstanceCgroups}, for accounting, no limits), joined before it execs and
 * removed with the instance.
 */
public class QemuDriver implements Driver, StatsSource, ConsoleSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QemuDriver.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL = Duration.ofMillis(20);
    private static final Duration QUIT_WAIT = Duration.ofSeconds(5);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    /** How long QEMU may take to set the machine up and answer QMP. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final VmOptions options;
    private final Machine machine;
    private final Networks networks;
    private final InstanceCgroups cgroups = InstanceCgroups.detect();
    private final ProcessUsage usage = new ProcessUsage();
    private final Map<String, RunningVm> running = new ConcurrentHashMap<>();
    // VMs being stopped, killed or deleted on purpose (their exits are not news), and kills that win over starts.
    private final HaltGuard guard = new HaltGuard();
    private volatile ExitListener exitListener = (id, status) -> { };

    QemuDriver(VmOptions options, Machine machine, Networks networks) {
        this.options = options;
        this.machine = machine;
        this.networks = networks;
    }

    /**
     * The driver of {@code machine}'s guests under the options' root; guests still running
     * are re-attached by {@link #recover}.
     */
    public static QemuDriver open(VmOptions options, Machine machine, Networks networks) {
        return new QemuDriver(prepareRoot(options, machine), machine, networks);
    }

    /** The same for a machine with a reset button: a forced restart resets the guest in place. */
    public static ResettableQemuDriver openResettable(VmOptions options, Machine machine, Networks networks) {
        return new ResettableQemuDriver(prepareRoot(options, machine), machine, networks);
    }

    private static VmOptions prepareRoot(VmOptions options, Machine machine) {
        try {
            Files.createDirectories(options.root());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up " + machine.noun() + "s under " + options.root()
                    + ": " + e.getMessage(), e);
        }
        return options;
    }

    @Override
    public InstanceType type() {
        return machine.type();
    }

    @Override
    public void setExitListener(ExitListener listener) {
        this.exitListener = listener;
    }

    @Override
    public Provisioned prepare(Instance instance) {
        VmDirs dirs = dirs(instance);
        try {
            Files.createDirectories(dirs.dir());
            Machine.Prepared prepared = machine.prepare(instance, dirs);
            AtomicFiles.write(dirs.commandFile(), JSON.writeValueAsBytes(prepared.arguments()));
            return new Provisioned(prepared.ipAddress());
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new DriverException(e.getMessage(), e);
        } catch (IOException | UncheckedIOException e) {
            throw new DriverException("preparing the " + noun() + " failed: " + e.getMessage(), e, HostFailures.retryable(e));
        }
    }

    @Override
    public void start(Instance instance) {
        VmDirs dirs = dirs(instance);
        long kills = guard.kills(instance.id());
        try {
            Optional<Long> pid = QemuProcesses.livePid(dirs);
            if (pid.isPresent()) {
                attached(instance, pid.get());
                return;
            }
            List<String> arguments = commandLine(instance, dirs);
            // QEMU leaves these behind as it exits: after dropping to its user it may not unlink them.
            for (Path leftover : List.of(dirs.pidFile(), dirs.qmpSocket(), dirs.consoleSocket(), dirs.exitFile())) {
                Files.deleteIfExists(leftover);
            }
            machine.beforeBoot(dirs);
            QemuSandbox.user();
            List<String> command = cgroups.joining(instance.id(),
                    machine.forAccelerator(arguments, KvmProbe.accelerator(options)));
            cgroups.create(instance.id());
            QemuProcesses.markStart(dirs);
            long started = QemuLaunch.start(command, dirs.qemuLog(), dirs, START_TIMEOUT);
            QemuProcesses.recordStart(dirs, started);
            if (guard.kills(instance.id()) != kills) {
                halt(instance, Duration.ZERO); // a kill came while QEMU was starting: it wins
                throw new DriverException("killed while starting");
            }
            attached(instance, started);
            LOG.info("{} {} runs as QEMU pid {}, sandboxed as {}", noun(), instance.id(), started, QemuSandbox.USER);
        } catch (IOException e) {
            throw new DriverException("starting the " + noun() + " failed: " + e.getMessage(), e, HostFailures.retryable(e));
        }
    }

    /** The command line prepare wrote, prepared anew when it is missing or predates the sandbox. */
    private List<String> commandLine(Instance instance, VmDirs dirs) throws IOException {
        if (Files.exists(dirs.commandFile())) {
            List<String> written = List.of(JSON.readValue(dirs.commandFile().toFile(), String[].class));
            if (!QemuCommand.predatesTheSandbox(written)) {
                return written;
            }
        }
        prepare(instance);
        return List.of(JSON.readValue(dirs.commandFile().toFile(), String[].class));
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

    /** Presses the power button and waits up to {@code grace}, then quits QEMU, then SIGKILLs it. */
    private void halt(Instance instance, Duration grace) {
        String id = instance.id();
        VmDirs dirs = dirs(instance);
        try (HaltGuard.Hold hold = guard.hold(id)) {
            Optional<Long> pid = QemuProcesses.livePid(dirs);
            if (pid.isEmpty()) {
                return;
            }
            RunningVm vm = attachedOrNull(instance, pid.get());
            if (vm != null && !grace.isZero()) {
                try {
                    vm.powerdown();
                    awaitDead(pid.get(), dirs, grace);
                } catch (IOException e) {
                    LOG.info("power button of {} failed ({}); quitting it", id, e.getMessage());
                }
            }
            if (vm != null && QemuProcesses.alive(pid.get(), dirs) && vm.quit()) {
                awaitDead(pid.get(), dirs, QUIT_WAIT);
            }
            if (QemuProcesses.alive(pid.get(), dirs)) {
                ProcessHandle.of(pid.get()).ifPresent(ProcessHandle::destroyForcibly);
                if (!awaitDead(pid.get(), dirs, KILL_WAIT)) {
                    throw new DriverException("QEMU did not die within " + KILL_WAIT.toSeconds() + " s of SIGKILL");
                }
            }
            if (vm != null) {
                vm.awaitGone(KILL_WAIT.toMillis());
            }
            QemuProcesses.recordExitIfAbsent(dirs, RuntimeStatus.exited(0, ""));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted stopping the " + noun(), e);
        } finally {
            running.remove(id);
        }
    }

    @Override
    public void destroy(Instance instance) {
        String id = instance.id();
        VmDirs dirs = dirs(instance);
        try (HaltGuard.Hold hold = guard.hold(id)) {
            if (QemuProcesses.livePid(dirs).isPresent()) {
                kill(instance);
            }
            Optional.ofNullable(running.remove(id)).ifPresent(RunningVm::close);
            cgroups.remove(id, KILL_WAIT.toMillis());
            machine.release(instance);
            FileTrees.delete(dirs.dir());
            usage.forget(id);
            guard.forget(id);
        } catch (IOException | UncheckedIOException e) {
            throw new DriverException("removing the " + noun() + " failed: " + e.getMessage(), e, HostFailures.retryable(e));
        }
    }

    /**
     * Re-attaches to a QEMU still running, in its cgroup (one started without it is moved in);
     * one whose guest powered off meanwhile is ended and reported so.
     */
    @Override
    public RuntimeStatus recover(Instance instance) {
        VmDirs dirs = dirs(instance);
        Optional<Long> pid = QemuProcesses.livePid(dirs);
        if (pid.isPresent()) {
            try {
                if (!cgroups.contains(instance.id(), pid.get())) {
                    cgroups.attach(instance.id(), pid.get());
                    LOG.info("{} {} (QEMU pid {}) moved into its cgroup", noun(), instance.id(), pid.get());
                }
                attached(instance, pid.get());
            } catch (IOException e) {
                throw new DriverException("re-attaching to the " + noun() + " failed: " + e.getMessage(), e);
            }
            if (QemuProcesses.recordedExit(dirs).isPresent()) { // it had powered off: quit follows
                awaitDead(pid.get(), dirs, QUIT_WAIT);
            }
        }
        return inspect(instance);
    }

    @Override
    public RuntimeStatus inspect(Instance instance) {
        VmDirs dirs = dirs(instance);
        if (QemuProcesses.livePid(dirs).isPresent()) {
            return RuntimeStatus.RUNNING;
        }
        Optional<RuntimeStatus> recorded = QemuProcesses.recordedExit(dirs);
        if (recorded.isPresent()) {
            return recorded.get();
        }
        if (guard.halting(instance.id())) {
            return RuntimeStatus.exited(0, "");
        }
        // It ran and nobody saw it end: it died while no daemon watched (a powered-off guest would still be there).
        return QemuProcesses.everStarted(dirs)
                ? RuntimeStatus.exited(1, QemuProcesses.deathReason(dirs)) : RuntimeStatus.ABSENT;
    }

    @Override
    public InstanceStats stats(Instance instance) {
        VmDirs dirs = dirs(instance);
        long pid = QemuProcesses.livePid(dirs).orElseThrow(() -> new DriverException("the " + noun() + " is not running"));
        try {
            RunningVm vm = attached(instance, pid);
            ProcessUsage.Sample sample = usage.sample(instance.id(), pid);
            long read = 0;
            long written = 0;
            for (JsonNode device : vm.execute("query-blockstats")) {
                read += device.path("stats").path("rd_bytes").asLong();
                written += device.path("stats").path("wr_bytes").asLong();
            }
            NetworkCounters net = networks.counters(instance);
            return new InstanceStats(instance.id(), sample.cpuPercent(), sample.cpuNanos(), sample.residentBytes(),
                    instance.spec().memoryBytes(), read, written, net.rxBytes(), net.txBytes(), Instant.now());
        } catch (IOException e) {
            throw new DriverException("sampling the " + noun() + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public ConsoleSession attach(Instance instance, ConsoleOutput output) {
        Optional<Long> pid = QemuProcesses.livePid(dirs(instance));
        if (pid.isEmpty()) {
            throw new DriverException("the " + noun() + " is not running");
        }
        try {
            return attached(instance, pid.get()).attachConsole(output);
        } catch (IOException e) {
            throw new DriverException("attaching to the " + noun() + "'s console failed: " + e.getMessage(), e);
        }
    }

    /** The driver's hold on the running QEMU, made if this daemon has none yet. */
    RunningVm attached(Instance instance, long pid) throws IOException {
        String id = instance.id();
        synchronized (running) {
            RunningVm vm = running.get(id);
            if (vm != null && vm.pid() == pid) {
                return vm;
            }
            if (vm != null) {
                vm.close();
            }
            VmDirs dirs = dirs(instance);
            vm = RunningVm.attach(dirs, pid, reason -> machine.poweredOff(dirs, reason), () -> guard.halting(id),
                    status -> {
                running.remove(id);
                exitListener.onExit(id, status);
            });
            running.put(id, vm);
            return vm;
        }
    }

    private RunningVm attachedOrNull(Instance instance, long pid) {
        try {
            return attached(instance, pid);
        } catch (IOException e) {
            LOG.warn("no QMP to VM {} ({}); it will be killed", instance.id(), e.getMessage());
            return null;
        }
    }

    private static boolean awaitDead(long pid, VmDirs dirs, Duration timeout) {
        return Deadline.after(timeout).await(() -> !QemuProcesses.alive(pid, dirs), POLL);
    }

    VmDirs dirs(Instance instance) {
        return new VmDirs(options.root(), instance.id());
    }

    String noun() {
        return machine.noun();
    }

    /** Lets go of every running VM; they keep running for the next daemon to {@link #recover}. */
    @Override
    public void close() {
        synchronized (running) {
            running.values().forEach(RunningVm::close);
            running.clear();
        }
    }
}
