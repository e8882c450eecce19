package dev.hypervisor.microvm;

import dev.hypervisor.qemu.QemuDriver;
import dev.hypervisor.qemu.Machine;
import dev.hypervisor.qemu.testing.QemuGuests;
import dev.hypervisor.qemu.testing.Screen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.InstanceStats;
import dev.hypervisor.core.driver.Provisioned;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.host.SystemUser;
import dev.hypervisor.qemu.QemuProcesses;
import dev.hypervisor.qemu.QemuSandbox;
import dev.hypervisor.qemu.VmDirs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * microVMs for real: the busybox image from the loopback registry, Debian's kernel (or the one
 * {@link MicroVmFixture} is pointed at), QEMU microvm under TCG.
 */
class MicroVmDriverTest {

    private static final Duration BOOT = Duration.ofSeconds(60);
    /** A workload that honours SIGTERM (the trap runs once the running sleep ends). */
    private static final List<String> TERMINABLE = List.of("sh", "-c",
            "trap 'echo got-term; exit 0' TERM; echo workload-up; while true; do sleep 0.2; done");

    @TempDir
    static Path tmp;
    static MicroVmFixture fixture;
    QemuDriver driver;
    final Map<String, RuntimeStatus> exits = new ConcurrentHashMap<>();
    final List<Instance> made = new ArrayList<>();

    @BeforeAll
    static void startFixture() throws IOException {
        fixture = MicroVmFixture.start(tmp);
    }

    @AfterAll
    static void stopFixture() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @BeforeEach
    void openDriver() {
        driver = open();
    }

    private QemuDriver open() {
        QemuDriver opened = fixture.driver();
        opened.setExitListener(exits::put);
        return opened;
    }

    @AfterEach
    void destroyEverything() throws IOException {
        QemuGuests.destroyAll(driver, made, fixture.options().root());
    }

    private Instance boot(List<String> command, Screen screen, String marker) {
        Instance instance = fixture.instance(command);
        made.add(instance);
        Provisioned provisioned = driver.prepare(instance);
        assertThat(provisioned.ipAddress()).matches(fixture.network.subnet()::isAssignable);
        driver.start(instance);
        driver.attach(instance, screen);
        screen.await(marker, BOOT);
        return instance;
    }

    @Test
    void runsTheImagesShellOnTheConsoleWithItsEnvHostnameAddressAndDisks() throws Exception {
        Screen screen = new Screen();
        Instance instance = boot(List.of(), screen, "/ # "); // the image's cmd: sh, on the serial console
        Provisioned again = driver.prepare(instance); // repeatable: same address, nothing made twice
        QemuGuests.assertQemuInItsCgroup(fixture.options().root(), instance);
        ConsoleSession session = driver.attach(instance, new Screen());
        session.resize(40, 120); // accepted, no effect on a serial line
        type(session, "echo answer-$((6*7)) $GREETING $FROM_IMAGE $(hostname) $$");
        screen.await("answer-42 hello yes " + instance.name() + " ", Duration.ofSeconds(20));
        assertThat(screen.text()).as("the workload is not PID 1: the init is").doesNotContain("answer-42 hello yes "
                + instance.name() + " 1\r");

        type(session, "echo \"serials=$(for f in /sys/block/vd*/serial; do printf '%s,' $(cat $f); done)"
                + " rootext4=$(grep -c ' / ext4 ' /proc/mounts)\"; cat /etc/resolv.conf");
        screen.await("serials=hv-root," + MicroVmConfig.SERIAL + ",data, rootext4=1", Duration.ofSeconds(20));
        screen.await("nameserver", Duration.ofSeconds(20));

        HostCommand.run(null, List.of("ping", "-c", "1", "-W", "20", again.ipAddress())); // the address answers

        // The marker is computed by the shell, so the console's echo of the typed line cannot match it.
        type(session, "dd if=/dev/zero of=/big bs=64k count=64 conv=fsync && echo dd-done-$((2*3))");
        screen.await("dd-done-6", Duration.ofSeconds(60));
        InstanceStats stats = driver.stats(instance);
        assertThat(stats.diskWriteBytes()).isGreaterThanOrEqualTo(4L << 20);
        assertThat(stats.diskReadBytes()).isPositive();
        assertThat(stats.cpuTimeNanos()).isPositive();
        assertThat(stats.memoryLimitBytes()).isEqualTo(fixture.memoryBytes);
        assertThat(stats.networkRxBytes() + stats.networkTxBytes()).as("the ping moved bytes").isPositive();
        session.close();

        Screen late = new Screen();
        driver.attach(instance, late).close();
        assertThat(late.text()).as("a new viewer is replayed the scrollback").contains("answer-42");
        driver.start(instance); // idempotent
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.RUNNING);
    }

    @Test
    void anInitThatCannotSetUpTheMicroVmIsAnErrorNamingWhy() {
        // The last ip= wins in the init: an address ifconfig refuses.
        Instance instance = fixture.instance(List.of("true"), fixture.kernel.toString(), new dev.hypervisor.core.instance.Metadata(
                Map.of(), Map.of(Machine.CMDLINE_ANNOTATION, "ip=300.0.0.1::10.0.0.1:255.255.255.0:x:eth0:off")));
        made.add(instance);
        driver.prepare(instance);
        driver.start(instance);

        await().atMost(BOOT).until(() -> exits.containsKey(instance.id()));
        RuntimeStatus status = exits.get(instance.id());
        assertThat(status.exitCode()).as("not a clean stop").isEqualTo(1);
        assertThat(status.reason()).contains("hypervisord init: cannot configure eth0");
    }

    @Test
    void theStopSignalEndsTheWorkloadGracefullyAndAStartBootsItAgain() {
        Screen screen = new Screen();
        Instance instance = boot(TERMINABLE, screen, "workload-up");

        long started = System.nanoTime();
        driver.stop(instance, Duration.ofSeconds(60));

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
        assertThat(screen.text()).contains("got-term");
        assertThat(driver.inspect(instance).phase()).isEqualTo(RuntimeStatus.Phase.EXITED);
        assertThat(exits).doesNotContainKey(instance.id());

        Screen second = new Screen();
        driver.start(instance);
        driver.attach(instance, second);
        await().atMost(BOOT).until(() -> second.text().split("workload-up", -1).length > 2); // replay + new boot
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.RUNNING);
    }

    @Test
    void aRestartedDaemonReattachesAndSeesTheWorkloadExit() {
        Screen screen = new Screen();
        Instance instance = boot(List.of(), screen, "/ # ");
        driver.close(); // the daemon goes; QEMU stays

        driver = open();
        assertThat(driver.recover(instance)).isEqualTo(RuntimeStatus.RUNNING);
        Screen after = new Screen();
        ConsoleSession session = driver.attach(instance, after);
        type(session, "echo still-$((2+3))");
        after.await("still-5", Duration.ofSeconds(20));
        type(session, "exit 4");

        await().atMost(Duration.ofSeconds(30)).until(() -> exits.containsKey(instance.id()));
        assertThat(exits.get(instance.id())).isEqualTo(RuntimeStatus.exited(4, ""));
    }

    @Test
    void qemuRunsUnderSeccompAsTheUnprivilegedUserThroughStatsADaemonRestartAndAStop() throws Exception {
        Screen screen = new Screen();
        Instance instance = boot(TERMINABLE, screen, "workload-up");
        VmDirs dirs = new VmDirs(fixture.options().root(), instance.id());
        long pid = QemuProcesses.livePid(dirs).orElseThrow();
        SystemUser user = SystemUser.lookup(QemuSandbox.USER).orElseThrow();
        assertThat(user.uid()).isPositive();
        QemuGuests.assertSandboxed(pid, user);
        assertThat(ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                .as("detached: no child of the daemon").isNotEqualTo(Optional.of(ProcessHandle.current().pid()));
        assertThat(driver.stats(instance).cpuTimeNanos()).isPositive();

        driver.close(); // the daemon goes; QEMU stays, sandboxed
        driver = open();
        assertThat(driver.recover(instance)).isEqualTo(RuntimeStatus.RUNNING);
        assertThat(QemuProcesses.livePid(dirs)).contains(pid);
        QemuGuests.assertSandboxed(pid, user);
        InstanceStats stats = driver.stats(instance);
        assertThat(stats.cpuTimeNanos()).isPositive();
        assertThat(stats.memoryUsageBytes()).isPositive();
        assertThat(stats.diskReadBytes()).as("block stats over QMP").isPositive();
        Screen after = new Screen();
        driver.attach(instance, after);
        after.await("workload-up", Duration.ofSeconds(5)); // the scrollback, from the console log QEMU writes as the user

        driver.stop(instance, Duration.ofSeconds(60));
        assertThat(after.text()).contains("got-term");
        assertThat(driver.inspect(instance).phase()).isEqualTo(RuntimeStatus.Phase.EXITED);
        await().atMost(Duration.ofSeconds(10)).until(() -> !QemuProcesses.alive(pid, dirs));
        assertThat(exits).doesNotContainKey(instance.id());
    }

    @Test
    void aKernelThatIsNoFileFailsPrepareNamingIt() {
        String missing = fixture.kernel.getParent().resolve("vmlinuz-missing").toString();
        Instance broken = fixture.instance(List.of("true"), missing);
        made.add(broken);
        new MicroVmRuntime(fixture.options(), "").admit(broken.spec(), broken.metadata()); // in a kernel directory: CreateInstance takes it
        assertThatThrownBy(() -> driver.prepare(broken)).isInstanceOf(DriverException.class)
                .hasMessage("spec.kernel " + missing + ": no such file in the kernel directories");
    }

    @Test
    void aKernelOutsideTheKernelDirectoriesIsRefusedAtCreateAndPrepareAlikeWhetherOrNotItExists() {
        List<String> messages = new java.util.ArrayList<>();
        for (String path : List.of("/etc/shadow", "/etc/no-such-file")) {
            Instance outside = fixture.instance(List.of("true"), path);
            assertThatThrownBy(() -> new MicroVmRuntime(fixture.options(), "").admit(outside.spec(), outside.metadata()))
                    .isInstanceOf(dev.hypervisor.core.error.DomainException.class)
                    .hasMessageStartingWith("spec.kernel: a kernel or initrd on the node must be in a kernel directory")
                    .satisfies(e -> messages.add(e.getMessage()));
            assertThatThrownBy(() -> driver.prepare(outside)).isInstanceOf(DriverException.class)
                    .satisfies(e -> messages.add(e.getMessage()));
        }
        assertThat(messages.get(0)).isEqualTo(messages.get(2)).doesNotContain("shadow");
        assertThat(messages.get(1)).isEqualTo(messages.get(3));
    }

    private static void type(ConsoleSession session, String line) {
        session.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}
