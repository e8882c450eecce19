package dev.hypervisor.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.core.driver.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.driver.InstanceStats;
import dev.hypervisor.core.driver.Provisioned;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.host.InstanceCgroups;
import dev.hypervisor.qemu.QemuDriver;
import dev.hypervisor.qemu.QemuProcesses;
import dev.hypervisor.qemu.ResettableQemuDriver;
import dev.hypervisor.qemu.VmDirs;
import dev.hypervisor.qemu.testing.QemuGuests;
import dev.hypervisor.qemu.testing.Screen;
import dev.hypervisor.testkit.guest.GuestInitramfs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VM driver against a real QEMU under TCG booting a Debian kernel with a busybox initramfs. */
class VmDriverTest {

    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final InstanceCgroups CGROUPS = InstanceCgroups.detect();

    @TempDir
    static Path tmp;
    static VmFixture fixture;
    ResettableQemuDriver driver;
    final Map<String, RuntimeStatus> exits = new ConcurrentHashMap<>();
    final List<Instance> made = new ArrayList<>();

    @BeforeAll
    static void startFixture() throws IOException {
        fixture = VmFixture.start(tmp);
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

    private ResettableQemuDriver open() {
        ResettableQemuDriver opened = fixture.driver();
        opened.setExitListener(exits::put);
        return opened;
    }

    @AfterEach
    void destroyEverything() throws IOException {
        QemuGuests.destroyAll(driver, made, fixture.options().root());
    }

    private Instance boot(boolean honoursPowerButton, Screen screen) {
        Instance instance = fixture.instance(honoursPowerButton);
        made.add(instance);
        Provisioned provisioned = driver.prepare(instance);
        assertThat(provisioned.ipAddress()).matches(fixture.network.subnet()::isAssignable);
        driver.start(instance);
        driver.attach(instance, screen);
        screen.await(GuestInitramfs.READY, BOOT);
        return instance;
    }

    @Test
    void bootsToTheConsoleAnswersTypedCommandsAndCountsItsDiskIo() throws IOException {
        Screen screen = new Screen();
        Instance instance = boot(true, screen);

        ConsoleSession session = driver.attach(instance, new Screen());
        session.resize(50, 200); // a serial line has no size: accepted, no effect
        session.write("echo answer-$((6*7))\n".getBytes(StandardCharsets.US_ASCII));
        screen.await("answer-42", Duration.ofSeconds(20));

        session.write("dd if=/dev/zero of=/dev/sda bs=64k count=32 conv=fsync && echo dd-done-$((2*3))\n"
                .getBytes(StandardCharsets.US_ASCII));
        screen.await("dd-done-6", Duration.ofSeconds(30)); // computed, so the echo of the typed line cannot match
        InstanceStats stats = driver.stats(instance);
        assertThat(stats.diskWriteBytes()).isGreaterThanOrEqualTo(2L << 20);
        assertThat(stats.diskReadBytes()).isPositive(); // the kernel read the partition tables
        assertThat(stats.memoryUsageBytes()).isPositive();
        assertThat(stats.memoryLimitBytes()).isEqualTo(256L << 20);
        assertThat(stats.cpuTimeNanos()).isPositive();
        session.write("ls /sys/block\n".getBytes(StandardCharsets.US_ASCII));
        screen.await("sdb", Duration.ofSeconds(10)); // the data disk is there too
        session.close();

        QemuGuests.assertQemuInItsCgroup(fixture.options().root(), instance);
        QemuGuests.assertSandboxed(fixture.options().root(), instance); // with its SCSI disks, seed ISO and TAP open

        Screen late = new Screen();
        driver.attach(instance, late).close();
        assertThat(late.text()).as("a new viewer is replayed the scrollback").contains(GuestInitramfs.READY, "answer-42");
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.RUNNING);
        driver.start(instance); // idempotent
        assertThat(Path.of("/sys/class/net", QemuGuests.tapOf(instance), "master")).exists();
    }

    @Test
    void aResetRebootsTheGuestInTheSameQemu() {
        Screen screen = new Screen();
        Instance instance = boot(false, screen);
        long pid = QemuProcesses.livePid(new VmDirs(fixture.options().root(), instance.id())).orElseThrow();

        assertThat(driver.reset(instance)).isTrue();

        await().atMost(BOOT).pollInterval(Duration.ofMillis(100))
                .until(() -> occurrences(screen.text(), GuestInitramfs.READY) == 2);
        assertThat(QemuProcesses.livePid(new VmDirs(fixture.options().root(), instance.id()))).contains(pid);
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.RUNNING);
        assertThat(exits).doesNotContainKey(instance.id());
        driver.kill(instance);
        assertThat(driver.reset(instance)).as("a stopped VM is not reset but started").isFalse();
    }

    private static int occurrences(String text, String marker) {
        int count = 0;
        for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
            count++;
        }
        return count;
    }

    @Test
    void aRestartedDaemonReattachesAndSeesTheGuestPowerItselfOff() throws IOException {
        Instance instance = boot(false, new Screen());
        driver.close(); // the daemon goes; QEMU stays
        long pid = QemuProcesses.livePid(new VmDirs(fixture.options().root(), instance.id())).orElseThrow();
        for (Path dir : CGROUPS.dirs(instance.id())) { // as if an older daemon had started it outside its cgroup
            Files.writeString(dir.getParent().getParent().resolve("cgroup.procs"), Long.toString(pid));
        }
        assertThat(CGROUPS.contains(instance.id(), pid)).isFalse();

        driver = open();
        assertThat(driver.recover(instance)).isEqualTo(RuntimeStatus.RUNNING);
        assertThat(CGROUPS.contains(instance.id(), pid)).as("re-found in its cgroup").isTrue();
        QemuGuests.assertSandboxed(fixture.options().root(), instance);
        Screen screen = new Screen();
        ConsoleSession session = driver.attach(instance, screen);
        assertThat(screen.text()).contains(GuestInitramfs.READY);
        session.write("echo still-$((2+3))\n".getBytes(StandardCharsets.US_ASCII));
        screen.await("still-5", Duration.ofSeconds(20));

        session.write("poweroff\n".getBytes(StandardCharsets.US_ASCII));

        await().atMost(Duration.ofSeconds(20)).until(() -> exits.containsKey(instance.id()));
        assertThat(exits.get(instance.id())).isEqualTo(RuntimeStatus.exited(0, ""));
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.exited(0, ""));
        screen.awaitEnd(Duration.ofSeconds(5));
    }

    @Test
    void aQemuKilledFromOutsideIsAnErrorAndKillEndsAStartingVmAtOnce() throws Exception {
        Instance instance = fixture.instance(true);
        made.add(instance);
        driver.prepare(instance);
        driver.start(instance);
        long pid = Long.parseLong(Files.readString(fixture.options().root().resolve(instance.id()).resolve("run")).strip());

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        await().atMost(Duration.ofSeconds(15)).until(() -> exits.containsKey(instance.id()));
        assertThat(exits.get(instance.id()).exitCode()).isEqualTo(1);
        assertThat(exits.get(instance.id()).reason()).startsWith("QEMU exited");
        assertThat(driver.inspect(instance)).isEqualTo(exits.get(instance.id()));

        driver.start(instance);
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.RUNNING);
        long started = System.nanoTime();
        driver.kill(instance);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.exited(0, ""));
        assertThat(exits.get(instance.id()).exitCode()).as("the kill was no news").isEqualTo(1);
    }


    /** The QEMU processes whose command line names a file under {@code root}. */
}
