package dev.hypervisor.bench;

import dev.hypervisor.host.HostCommand;
import dev.hypervisor.network.BridgeNetwork;
import dev.hypervisor.network.InterfaceNames;
import dev.hypervisor.network.NetworkOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Removes what a run put on the host, whether or not the daemon is still alive: containers
 * left in the daemon's or the baseline's runc state roots, the network namespaces and TAP
 * devices of the instances it created, mounts under the work dir, and the daemon's bridge with its iptables
 * rules. Every step is idempotent and only touches names this run made, so it is safe both
 * after a clean run and in a shutdown hook.
 */
public final class HostLeftovers {

    private final Path workDir;
    private final String bridge;
    private final String subnet;
    private final Path outsideDir;
    private final List<Path> runcRoots = new ArrayList<>();
    private final Set<String> instanceIds = ConcurrentHashMap.newKeySet();
    private volatile boolean done;

    /** {@code outsideDir}: a directory of this run outside the work dir, removed with everything below it. */
    public HostLeftovers(Path workDir, String bridge, String subnet, Path outsideDir) {
        this.workDir = workDir.toAbsolutePath().normalize();
        this.outsideDir = outsideDir.toAbsolutePath().normalize();
        this.bridge = bridge;
        this.subnet = subnet;
    }

    public synchronized void runcRoot(Path root) {
        runcRoots.add(root);
    }

    public void instances(Collection<String> ids) {
        instanceIds.addAll(ids);
    }

    /** Cleans up once; later calls do nothing. */
    public synchronized void removeAll() {
        if (done) {
            return;
        }
        done = true;
        for (Path root : runcRoots) {
            deleteRuncContainers(root);
        }
        for (String id : instanceIds) {
            InterfaceNames names = InterfaceNames.of(id);
            if (Files.exists(names.namespacePath())) {
                call("ip", "netns", "del", names.namespace());
            }
            if (Files.exists(Path.of("/sys/class/net", names.tap()))) {
                call("ip", "link", "del", names.tap());
            }
        }
        unmountUnder(workDir);
        unmountUnder(outsideDir);
        deleteTree(outsideDir);
        try {
            // The network adapter's own removal: the same rules, matched exactly.
            BridgeNetwork.removeFromHost(NetworkOptions.defaults().withBridgeName(bridge).withSubnet(subnet));
        } catch (RuntimeException e) {
            System.err.println("warning: removing bridge " + bridge + " failed (" + e.getMessage()
                    + "); ip link del " + bridge + " and the iptables rules commented 'hypervisord " + bridge + "' may remain");
            call("ip", "link", "del", bridge);
        }
    }

    private static void deleteRuncContainers(Path root) {
        if (!Files.isDirectory(root)) {
            return;
        }
        String ids = call("runc", "--root", root.toString(), "list", "-q");
        for (String id : ids.lines().map(String::strip).filter(s -> !s.isEmpty()).toList()) {
            call("runc", "--root", root.toString(), "delete", "-f", id);
        }
    }

    /** Lazily unmounts every mount point below {@code dir}, deepest first (rootfs overlays a killed daemon left). */
    private static void unmountUnder(Path dir) {
        List<Path> points = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                if (fields.length > 4) {
                    Path point = Path.of(fields[4].replace("\\040", " "));
                    if (point.startsWith(dir) && !point.equals(dir)) {
                        points.add(point);
                    }
                }
            }
        } catch (IOException e) {
            return;
        }
        points.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        for (Path point : points) {
            call("umount", "-l", point.toString());
        }
    }

    private static void deleteTree(Path dir) {
        try {
            WorkDir.delete(dir);
        } catch (IOException e) {
            System.err.println("warning: cannot remove " + dir + ": " + e.getMessage());
        }
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
