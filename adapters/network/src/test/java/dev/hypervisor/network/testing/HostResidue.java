package dev.hypervisor.network.testing;

import dev.hypervisor.host.InstanceCgroups;
import dev.hypervisor.network.InterfaceNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the host still has of one instance, as the driver contract's "leaves nothing" means it:
 * its directory, processes and mounts that name its id, its network namespace, veth and TAP,
 * and its cgroups. Each found is described in a line, for the assertion's message.
 */
public final class HostResidue {

    private static final InstanceCgroups CGROUPS = InstanceCgroups.detect();

    private HostResidue() {}

    /** The residue of {@code instanceId} whose runtime keeps its files in {@code dir}. */
    public static List<String> of(String instanceId, Path dir) {
        List<String> left = new ArrayList<>();
        if (Files.exists(dir)) {
            left.add("its directory " + dir);
        }
        InterfaceNames names = InterfaceNames.of(instanceId);
        if (Files.exists(names.namespacePath())) {
            left.add("its network namespace " + names.namespacePath());
        }
        for (String device : List.of(names.hostVeth(), names.tap())) {
            if (Files.exists(Path.of("/sys/class/net", device))) {
                left.add("its interface " + device);
            }
        }
        for (Path cgroup : CGROUPS.dirs(instanceId)) {
            if (Files.exists(cgroup)) {
                left.add("its cgroup " + cgroup);
            }
        }
        try {
            for (String mount : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                if (mount.contains(instanceId)) {
                    left.add("a mount: " + mount);
                }
            }
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path proc : (Iterable<Path>) procs::iterator) {
                    String pid = proc.getFileName().toString();
                    if (pid.chars().allMatch(Character::isDigit) && cmdline(proc).contains(instanceId)) {
                        left.add("process " + pid + ": " + cmdline(proc).replace('\0', ' ').strip());
                    }
                }
            }
        } catch (IOException e) {
            left.add("unreadable /proc: " + e.getMessage());
        }
        return left;
    }

    private static String cmdline(Path proc) {
        try {
            return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return ""; // gone meanwhile
        }
    }
}
