package dev.hypervisor.bench;

import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.host.FileTrees;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.host.InstanceCgroups;
import dev.hypervisor.network.BridgeNetwork;
import dev.hypervisor.network.InterfaceNames;
import dev.hypervisor.network.NetworkOptions;
import dev.hypervisor.server.Hypervisord;
import dev.hypervisor.testkit.DaemonProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The production hypervisord with its real drivers, as the containers, VM and microVM benchmarks run it: nothing
 * replaced, a bridge and subnet of this run (never the default {@code hv0}), Docker Hub pointed at a closed loopback
 * port so that nothing can make it reach past this machine. And the removal, when the run ends (also on Ctrl-C), of
 * what it and the baselines put on the host, whether or not the daemon is still alive. Every step is idempotent and
 * touches only what this run made.
 */
public final class RealDaemon {

    private final BenchRun run;
    private final String bridge;
    private final String subnet;
    private final List<Path> runcRoots = new ArrayList<>();
    private final List<Path> outside = new ArrayList<>();
    private final Set<String> instanceIds = ConcurrentHashMap.newKeySet();
    private final List<TimedInstances> clients = new CopyOnWriteArrayList<>();

    /** A bridge {@code hvb<random>} and a subnet {@code <prefix>.<random>.0/24}; removed at the end of {@code run}. */
    private RealDaemon(BenchRun run, String subnetPrefix) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        this.run = run;
        this.bridge = String.format(Locale.ROOT, "hvb%05x", random.nextInt(1 << 20));
        this.subnet = subnetPrefix + "." + random.nextInt(256) + ".0/24";
        run.onCleanUp(this::removeFromHost);
    }

    public String bridge() {
        return bridge;
    }

    public String subnet() {
        return subnet;
    }

    public Path data() {
        return run.work().resolve("daemon/data");
    }

    /** A runc state root whose containers are deleted at the end. */
    public synchronized void runcRoot(Path root) {
        runcRoots.add(root);
    }

    /** A directory of this run outside the work dir, removed at the end with everything below it. */
    public synchronized void outside(Path dir) {
        outside.add(dir.toAbsolutePath().normalize());
    }

    /** A benchmark on the real daemon: given its run and host, measures its figures; returns its baselines line. */
    @FunctionalInterface
    public interface Bench<O> {
        String run(O options, BenchRun run, RealDaemon host) throws Exception;
    }

    /** The figures measured on a daemon, through its instances of one type. */
    @FunctionalInterface
    public interface Figures {
        void measure(DaemonProcess daemon, TimedInstances instances) throws Exception;
    }

    /** The main of a benchmark on the real daemon: a run of {@code tools}, on a subnet {@code <prefix>.x.0/24}. */
    public static <O extends CommonOptions> void main(String[] args, O options, List<String> tools, String subnetPrefix,
            Bench<O> bench) {
        // Before any logger exists: the network adapter's info lines (clean-up) would drown the progress lines.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        BenchRun.main(args, options, tools, (o, run) -> bench.run(o, run, new RealDaemon(run, subnetPrefix)));
    }

    /**
     * Starts the daemon ({@code driver}: "VM driver", say) with {@code args}, pulls {@code images}, measures {@code
     * figures} once it is quiet, and deletes through the API what is left: instances outlive the daemon by design.
     */
    public void run(String driver, List<String> args, List<String> images, InstanceType type, int channels,
            Figures figures) throws Exception {
        run.progress("starting hypervisord (real %s) on bridge %s", driver, bridge);
        Path registries = run.dir("daemon").resolve("registries.json");
        Files.writeString(registries, "{\"servers\": {\"docker.io\": \"127.0.0.1:9\"}}");
        List<String> all = new ArrayList<>(List.of("--data-dir", data().toString(), "--node-id", "bench-node",
                "--bridge", bridge, "--subnet", subnet, "--registry-config", registries.toString()));
        all.addAll(args);
        try (DaemonProcess daemon = BenchDaemon.start("daemon", Hypervisord.class.getName(), all,
                run.work().resolve("daemon/daemon.log"), Duration.ofSeconds(120))) {
            for (String image : images) {
                BenchDaemon.pull(daemon, image, run);
            }
            TimedInstances instances = new TimedInstances(daemon, type, channels);
            clients.add(instances);
            try {
                daemon.awaitQuiet(Duration.ofSeconds(30));
                figures.measure(daemon, instances);
            } finally {
                List<String> live = instances.live();
                instanceIds.addAll(live);
                try {
                    instances.deleteAll(live, Duration.ofSeconds(120));
                } catch (RuntimeException e) {
                    System.err.println("warning: deleting the remaining instances failed: " + e.getMessage());
                }
            }
        }
    }

    /** Whatever is left: QEMUs, runc containers, namespaces, TAPs, cgroups, mounts, the bridge; once, at the end. */
    private synchronized void removeFromHost() {
        clients.forEach(c -> instanceIds.addAll(c.live()));
        killQemusUnder(run.work());
        for (Path root : runcRoots) {
            if (Files.isDirectory(root)) {
                call("runc", "--root", root.toString(), "list", "-q").lines().map(String::strip).filter(s -> !s.isEmpty())
                        .forEach(id -> call("runc", "--root", root.toString(), "delete", "-f", id));
            }
        }
        InstanceCgroups cgroups = InstanceCgroups.detect();
        for (String id : instanceIds) {
            InterfaceNames names = InterfaceNames.of(id);
            if (Files.exists(names.namespacePath())) {
                call("ip", "netns", "del", names.namespace());
            }
            if (Files.exists(Path.of("/sys/class/net", names.tap()))) {
                call("ip", "link", "del", names.tap());
            }
            try {
                cgroups.remove(id, 5000);
            } catch (IOException e) {
                System.err.println("warning: " + e.getMessage());
            }
        }
        unmountUnder(run.work());
        for (Path dir : outside) {
            unmountUnder(dir);
            try {
                FileTrees.delete(dir);
            } catch (IOException e) {
                System.err.println("warning: cannot remove " + dir + ": " + e.getMessage());
            }
        }
        try {
            // The network adapter's own removal: the same rules, matched exactly.
            BridgeNetwork.removeFromHost(NetworkOptions.defaults().withBridgeName(bridge).withSubnet(subnet));
        } catch (RuntimeException e) {
            System.err.println("warning: removing bridge " + bridge + " failed (" + e.getMessage()
                    + "); ip link del " + bridge + " and the iptables rules commented 'hypervisord " + bridge + "' may remain");
            call("ip", "link", "del", bridge);
        }
    }

    /** SIGKILLs every QEMU whose command line names a file under {@code dir}: this run's, and nobody else's. */
    private static void killQemusUnder(Path dir) {
        String needle = dir.toAbsolutePath().normalize() + "/";
        ProcessHandle.allProcesses().forEach(process -> {
            try {
                List<String> cmdline = DirectQemu.cmdline(process.pid());
                if (cmdline.get(0).endsWith("qemu-system-x86_64") && cmdline.stream().anyMatch(a -> a.contains(needle))) {
                    DirectQemu.kill(process.pid());
                }
            } catch (IOException | RuntimeException e) {
                // gone meanwhile
            }
        });
    }

    /** Lazily unmounts every mount point below {@code dir}, deepest first (rootfs overlays a killed daemon left). */
    private static void unmountUnder(Path dir) {
        List<Path> points;
        try (var lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            points = lines.map(line -> line.split(" ")).filter(fields -> fields.length > 4)
                    .map(fields -> Path.of(fields[4].replace("\\040", " ")))
                    .filter(point -> point.startsWith(dir) && !point.equals(dir))
                    .sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
        } catch (IOException e) {
            return;
        }
        points.forEach(point -> call("umount", "-l", point.toString()));
    }

    private static String call(String... command) {
        try {
            HostCommand.Result result = HostCommand.call(null, List.of(command));
            return result.exitCode() == 0 ? result.output() : "";
        } catch (IOException e) {
            return "";
        }
    }
}
