package dev.hypervisor.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.host.Deadline;
import dev.hypervisor.host.SystemUser;
import dev.hypervisor.qemu.testing.QemuGuests;
import dev.hypervisor.testkit.guest.GuestKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real QEMU with no machine ({@code -machine none}) started as the driver starts every guest: sandboxed, detached. */
class QemuLaunchTest {

    @TempDir
    Path tmp;
    VmDirs dirs;
    final List<Long> started = new ArrayList<>();

    @BeforeEach
    void requireQemu() throws IOException {
        GuestKernel.requireQemu();
        dirs = new VmDirs(tmp, "inst-launch");
        Files.createDirectories(dirs.dir());
    }

    @AfterEach
    void killWhatWasStarted() {
        started.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    private List<String> qemu(String... extra) {
        List<String> line = new ArrayList<>(QemuCommand.head(Path.of("/usr/bin/qemu-system-x86_64"), dirs, "launch",
                "none", 1, 16L << 20));
        line.addAll(List.of(extra));
        line.addAll(QemuCommand.tail(dirs));
        return line;
    }

    @Test
    void qemuRunsSandboxedAsTheUserInASessionOfItsOwnThatIsNoChildOfTheDaemon() throws IOException {
        long pid = QemuLaunch.start(qemu(), dirs.qemuLog(), dirs, Duration.ofSeconds(30));
        started.add(pid);

        QemuGuests.assertSandboxed(pid, SystemUser.lookup(QemuSandbox.USER).orElseThrow());
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // state, ppid, pgrp, session
        assertThat(Long.parseLong(fields[3])).as("its own session").isEqualTo(pid);
        assertThat(Long.parseLong(fields[1])).as("no child of the daemon").isNotEqualTo(ProcessHandle.current().pid());
        assertThat(ProcessHandle.current().descendants().map(ProcessHandle::pid)).doesNotContain(pid);
        assertThat(Files.readString(dirs.pidFile()).strip()).isEqualTo(Long.toString(pid));
        assertThat(dirs.qmpSocket()).exists();
        assertThat(dirs.consoleSocket()).exists();

        ProcessHandle.of(pid).orElseThrow().destroy(); // SIGTERM: QEMU says so on stderr, which is its log
        assertThat(Deadline.after(Duration.ofSeconds(10)).await(() -> !QemuProcesses.alive(pid, dirs),
                Duration.ofMillis(20))).isTrue();
        assertThat(Files.readString(dirs.qemuLog())).contains("terminating on signal 15");
    }

    @Test
    void aQemuThatExitsWhileSettingUpFailsTheStartWithTheReasonFromItsLog() {
        long startedAt = System.nanoTime();
        assertThatThrownBy(() -> QemuLaunch.start(qemu("-device", "no-such-device"), dirs.qemuLog(), dirs,
                Duration.ofSeconds(30)))
                .isInstanceOf(DriverException.class)
                .hasMessageStartingWith("QEMU failed to start: QEMU exited: ")
                .hasMessageContaining("no-such-device");
        assertThat(Duration.ofNanos(System.nanoTime() - startedAt)).as("not the timeout").isLessThan(Duration.ofSeconds(10));
    }
}
