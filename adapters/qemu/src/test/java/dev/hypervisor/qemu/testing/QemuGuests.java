package dev.hypervisor.qemu.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.host.InstanceCgroups;
import dev.hypervisor.host.SystemUser;
import dev.hypervisor.qemu.QemuDriver;
import dev.hypervisor.qemu.QemuProcesses;
import dev.hypervisor.qemu.QemuSandbox;
import dev.hypervisor.qemu.VmDirs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What the VM and microVM tests check of the QEMU guests they leave: cgroups, TAPs and processes. */
public final class QemuGuests {

    private static final InstanceCgroups CGROUPS = InstanceCgroups.detect();

    private QemuGuests() {}

    /** Destroys what a test made, closes the driver, and checks that nothing is left: dir, cgroup, tap, QEMU. */
    public static void destroyAll(QemuDriver driver, List<Instance> made, Path root) throws IOException {
        for (Instance instance : made) {
            driver.destroy(instance);
            assertThat(root.resolve(instance.id())).doesNotExist();
            assertThat(CGROUPS.dirs(instance.id())).allSatisfy(dir -> assertThat(dir).doesNotExist());
            assertThat(Path.of("/sys/class/net", tapOf(instance))).doesNotExist();
        }
        driver.close();
        assertThat(qemusUnder(root)).as("QEMU processes left behind").isEmpty();
    }
    /** Checks that the instance's QEMU, and only it, is in the instance's cgroup. */
    public static void assertQemuInItsCgroup(Path root, Instance instance) {
        long pid = QemuProcesses.livePid(new VmDirs(root, instance.id())).orElseThrow();
        assertThat(CGROUPS.dirs(instance.id())).isNotEmpty().allSatisfy(dir ->
                assertThat(InstanceCgroups.pids(dir)).as("QEMU is in its cgroup " + dir).containsExactly(pid));
    }
    /** Checks that the instance's QEMU runs sandboxed as {@link QemuSandbox#USER}, as below. */
    public static void assertSandboxed(Path root, Instance instance) throws IOException {
        assertSandboxed(QemuProcesses.livePid(new VmDirs(root, instance.id())).orElseThrow(),
                SystemUser.lookup(QemuSandbox.USER).orElseThrow());
    }

    /**
     * Checks that QEMU {@code pid} runs under its seccomp filter (mode 2), as {@code user} in real,
     * effective, saved and filesystem ids, with no capabilities and no_new_privs.
     */
    public static void assertSandboxed(long pid, SystemUser user) throws IOException {
        List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
        String ids = user.uid() + "\t" + user.uid() + "\t" + user.uid() + "\t" + user.uid();
        String gids = user.gid() + "\t" + user.gid() + "\t" + user.gid() + "\t" + user.gid();
        assertThat(status).as("/proc/%d/status", pid).contains("Seccomp:\t2", "NoNewPrivs:\t1", "Uid:\t" + ids,
                "Gid:\t" + gids, "CapEff:\t0000000000000000", "CapPrm:\t0000000000000000");
    }

    public static String tapOf(Instance instance) {
        String tail = instance.id().substring("inst-".length());
        return "ht" + (tail.length() <= 13 ? tail : tail.substring(tail.length() - 13));
    }
    public static List<Long> qemusUnder(Path root) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(p -> {
                        try {
                            return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                                    .contains(root.toString());
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .map(p -> Long.parseLong(p.getFileName().toString())).toList();
        }
    }
}
