package dev.hypervisor.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each instance's cgroup is, {@code /hypervisord/<id>}, on cgroup v1 (one hierarchy per
 * controller, also on hybrid hosts) or v2 (one unified tree at {@code /sys/fs/cgroup}); and,
 * for runtimes that do not make their own (QEMU, unlike runc), creating it, putting a process
 * in it and removing it. Nothing here sets limits: these cgroups are for accounting.
 */
public final class InstanceCgroups {

    public static final Path ROOT = Path.of("/sys/fs/cgroup");
    private static final String PARENT = "hypervisord";
    /** The v1 controllers an accounting cgroup joins (cpu and cpuacct may be one co-mounted hierarchy). */
    private static final List<String> V1_CONTROLLERS = List.of("cpu", "cpuacct", "memory");
    private static final String V2_CONTROLLERS = "+cpu +memory";

    private final Path root;
    private final boolean unified;

    InstanceCgroups(Path root, boolean unified) {
        this.root = root;
        this.unified = unified;
    }

    /** v2 when the unified hierarchy is mounted at /sys/fs/cgroup itself, v1 otherwise. */
    public static InstanceCgroups detect() {
        return new InstanceCgroups(ROOT, Files.exists(ROOT.resolve("cgroup.controllers")));
    }

    public boolean unified() {
        return unified;
    }

    /** The instance's cgroup directory in the hierarchy of a v1 controller. */
    public Path v1(String controller, String id) {
        return root.resolve(controller).resolve(PARENT).resolve(id);
    }

    /** The instance's cgroup directory in the unified (v2) tree. */
    public Path v2(String id) {
        return root.resolve(PARENT).resolve(id);
    }

    /** The instance's cgroup directories: one per accounting controller on v1, one on v2. */
    public List<Path> dirs(String id) {
        return unified ? List.of(v2(id)) : V1_CONTROLLERS.stream().map(c -> v1(c, id)).toList();
    }

    /** Makes the instance's cgroups (idempotent); on v2 the cpu and memory controllers are enabled down to them. */
    public void create(String id) throws IOException {
        if (unified) {
            enable(root);
            Files.createDirectories(root.resolve(PARENT));
            enable(root.resolve(PARENT));
        }
        for (Path dir : dirs(id)) {
            Files.createDirectories(dir);
        }
    }

    private static void enable(Path dir) {
        try {
            Files.writeString(dir.resolve("cgroup.subtree_control"), V2_CONTROLLERS);
        } catch (IOException e) {
            // A controller the kernel does not offer here: its figures are then missing, nothing more.
        }
    }

    /** The {@code cgroup.procs} files a process writes its pid into to join the instance's cgroups. */
    public List<Path> procsFiles(String id) {
        return dirs(id).stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    /**
     * The command line that joins the instance's cgroups and then execs {@code command}, so the
     * process (and what it forks) is accounted from its first page.
     * It exits with 125 when it cannot join.
     */
    public List<String> joining(String id, List<String> command) {
        List<String> line = new ArrayList<>(List.of("/bin/sh", "-c",
                "for f in " + String.join(" ", procsFiles(id).stream().map(Path::toString).toList())
                        + "; do echo $$ > \"$f\" || exit 125; done; exec \"$@\"",
                "sh"));
        line.addAll(command);
        return line;
    }

    /** Moves a running process into the instance's cgroups (one started before it had them). */
    public void attach(String id, long pid) throws IOException {
        create(id);
        for (Path procs : procsFiles(id)) {
            Files.writeString(procs, Long.toString(pid));
        }
    }

    /** Whether the process is in every one of the instance's cgroups. */
    public boolean contains(String id, long pid) {
        return dirs(id).stream().allMatch(dir -> pids(dir).contains(pid));
    }

    /** The processes in a cgroup directory; none when it is not there. */
    public static List<Long> pids(Path dir) {
        try {
            return Files.readAllLines(dir.resolve("cgroup.procs"), StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).map(l -> Long.parseLong(l.strip())).toList();
        } catch (IOException e) { // gone (NoSuchFileException) or unreadable: nothing to report
            return List.of();
        }
    }

    /**
     * Removes the instance's cgroups once their processes are gone (idempotent). The kernel
     * empties a cgroup a moment after its last process is reaped, so a busy one is retried for
     * up to {@code waitMillis}.
     */
    public void remove(String id, long waitMillis) throws IOException {
        long deadline = System.nanoTime() + waitMillis * 1_000_000L;
        for (Path dir : dirs(id)) {
            while (Files.isDirectory(dir)) {
                try {
                    Files.delete(dir); // rmdir: a cgroup's files are not real and go with it
                } catch (NoSuchFileException e) {
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("cannot remove cgroup " + dir + " (processes " + pids(dir) + "): "
                                + e.getMessage(), e);
                    }
                    sleep();
                }
            }
        }
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }
}
