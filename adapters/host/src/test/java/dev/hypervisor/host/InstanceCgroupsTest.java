package dev.hypervisor.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Per-instance cgroups on the host's real cgroup filesystem (v1 hybrid here, v2 where unified). */
class InstanceCgroupsTest {

    private final InstanceCgroups cgroups = InstanceCgroups.detect();
    private final String id = "inst-cgtest" + ProcessHandle.current().pid() + "x" + System.nanoTime() % 100_000;
    private Process process;

    @AfterEach
    void cleanUp() throws Exception {
        if (process != null) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        cgroups.remove(id, 5000);
    }

    @Test
    void aCommandJoinsTheInstanceCgroupsBeforeItExecs() throws Exception {
        requireRoot();
        cgroups.create(id);

        process = new ProcessBuilder(cgroups.joining(id, List.of("/bin/sleep", "60"))).start();

        assertThat(cgroups.dirs(id)).allSatisfy(dir -> assertThat(dir).isDirectory());
        awaitExec(process.pid());
        assertThat(cgroups.contains(id, process.pid())).isTrue();
        String own = Files.readString(Path.of("/proc", Long.toString(process.pid()), "cgroup"), StandardCharsets.UTF_8);
        assertThat(own).contains("/hypervisord/" + id);
    }

    @Test
    void aRunningProcessIsMovedInAndTheCgroupsGoOnceItIsGone() throws Exception {
        requireRoot();
        process = new ProcessBuilder("/bin/sleep", "60").start();
        assertThat(cgroups.contains(id, process.pid())).isFalse();

        cgroups.attach(id, process.pid());
        assertThat(cgroups.contains(id, process.pid())).isTrue();

        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        cgroups.remove(id, 5000);
        assertThat(cgroups.dirs(id)).allSatisfy(dir -> assertThat(dir).doesNotExist());
        cgroups.remove(id, 0); // idempotent
    }

    @Test
    void aCgroupWithAProcessIsNotRemoved() throws Exception {
        requireRoot();
        process = new ProcessBuilder("/bin/sleep", "60").start();
        cgroups.attach(id, process.pid());

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cgroups.remove(id, 100))
                .isInstanceOf(IOException.class).hasMessageContaining(Long.toString(process.pid()));
        assertThat(cgroups.contains(id, process.pid())).isTrue();
    }

    private static void awaitExec(long pid) throws Exception {
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readString(cmdline, StandardCharsets.ISO_8859_1).startsWith("/bin/sleep")) {
            assertThat(System.nanoTime()).as("the command execs").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static void requireRoot() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("cgroup tests need root (CI runs as root)");
        }
    }
}
