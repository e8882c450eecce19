package dev.hypervisor.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.core.driver.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.InstanceStats;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.instance.DiskSpec;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.NetworkSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The container driver against real runc, conmon, overlayfs and cgroups, with images from a loopback registry. */
class ContainerDriverTest {

    @TempDir
    static Path tmp;
    static ContainerFixture fixture;
    static ContainerDriver driver;
    static final Map<String, RuntimeStatus> exits = new ConcurrentHashMap<>();
    final List<Instance> made = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        fixture = ContainerFixture.start(tmp);
        driver = fixture.driver(new LoopbackNetworks());
        driver.setExitListener(exits::put);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @AfterEach
    void removeContainers() {
        for (Instance instance : made) {
            driver.destroy(instance);
        }
    }

    private Instance run(List<String> command) {
        return run(fixture.instance(command));
    }

    private Instance run(Instance instance) {
        made.add(instance);
        driver.prepare(instance);
        driver.start(instance);
        return instance;
    }

    @Test
    void runsTheCommandAndReportsItsExitCode() throws Exception {
        Instance instance = run(List.of("sh", "-c", "echo \"$GREETING from $(hostname)\"; exit 3"));

        await().atMost(Duration.ofSeconds(10)).until(() -> exits.containsKey(instance.id()));
        assertThat(exits.get(instance.id())).isEqualTo(RuntimeStatus.exited(3, ""));
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.exited(3, ""));
        assertThat(new String(ConsoleLog.tail(tmp.resolve("containers").resolve(instance.id()).resolve("console.log")),
                StandardCharsets.UTF_8)).contains("hello from " + instance.name());
    }

    @Test
    void onNetworkNoneTheRuntimeMakesTheNamespaceWithLoopbackUpAndTheHostGetsNone() throws Exception {
        Instance instance = run(List.of("sh", "-c",
                "echo \"nets=$(ls /sys/class/net) flags=$(cat /sys/class/net/lo/flags)\""));

        await().atMost(Duration.ofSeconds(10)).until(() -> exits.containsKey(instance.id()));
        assertThat(exits.get(instance.id())).isEqualTo(RuntimeStatus.exited(0, ""));
        assertThat(new String(ConsoleLog.tail(tmp.resolve("containers").resolve(instance.id()).resolve("console.log")),
                StandardCharsets.UTF_8)).contains("nets=lo flags=0x9"); // IFF_LOOPBACK | IFF_UP
        assertThat(java.nio.file.Path.of("/var/run/netns", LoopbackNetworks.name(instance))).doesNotExist();
    }

    @Test
    void killIsImmediateAndTheContainerCanStartAgain() {
        Instance instance = run(List.of("sh", "-c", "trap '' TERM; sleep 1000"));
        long started = System.nanoTime();
        driver.kill(instance);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        assertThat(driver.inspect(instance).running()).isFalse();

        driver.start(instance);
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.RUNNING);
    }

    @Test
    void runningOutOfMemoryIsReportedAsAnOomKill() {
        Instance instance = run(fixture.instance(List.of("dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1"),
                1, 32L << 20, List.of(), NetworkSpec.NONE));

        await().atMost(Duration.ofSeconds(10)).until(() -> exits.containsKey(instance.id()));
        RuntimeStatus exit = exits.get(instance.id());
        assertThat(exit.reason()).isEqualTo("killed: out of memory");
        assertThat(exit.exitCode()).isEqualTo(137);
    }

    @Test
    void aChildKilledForMemoryIsNotTheContainersDeathWhenItsMainProcessCarriesOn() throws Exception {
        Instance survives = run(fixture.instance(List.of("sh", "-c",
                "dd if=/dev/zero of=/dev/null bs=128M count=1; echo carried-on; exit 0"), 1, 32L << 20, List.of(),
                NetworkSpec.NONE));
        Instance fails = run(fixture.instance(List.of("sh", "-c",
                "dd if=/dev/zero of=/dev/null bs=128M count=1; exit 3"), 1, 32L << 20, List.of(), NetworkSpec.NONE));
        await().atMost(Duration.ofSeconds(10)).until(() -> exits.containsKey(survives.id()) && exits.containsKey(fails.id()));
        assertThat(tmp.resolve("containers").resolve(survives.id()).resolve("oom")).as("conmon saw the OOM kill").exists();
        assertThat(exits.get(survives.id())).isEqualTo(RuntimeStatus.exited(0, ""));
        assertThat(exits.get(fails.id())).isEqualTo(RuntimeStatus.exited(3,
                "exited with code 3 after a process in it was killed for lack of memory"));
    }

    @Test
    void conmonRunsInTheContainersDirectoryNotTheDaemons() throws Exception {
        Instance instance = run(List.of("sleep", "1000"));
        Path dir = tmp.resolve("containers").resolve(instance.id());
        long conmon = Long.parseLong(Files.readString(dir.resolve("conmon.pid")).strip());
        assertThat(Files.readSymbolicLink(Path.of("/proc", String.valueOf(conmon), "cwd")).toRealPath())
                .isEqualTo(dir.toRealPath());
    }

    @Test
    void theConsoleEchoesInputReplaysOutputAndResizes() throws Exception {
        Instance instance = run(List.of("sh", "-c", "echo ready-for-input; exec sh"));
        Path log = tmp.resolve("containers").resolve(instance.id()).resolve("console.log");
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readString(log).contains("ready-for-input"));

        Screen screen = new Screen();
        try (ConsoleSession session = driver.attach(instance, screen)) {
            assertThat(screen.text()).as("replayed on attach").contains("ready-for-input");
            session.write("echo $((6*7))-done\n".getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(5)).until(() -> screen.text().contains("42-done"));

            session.resize(41, 123);
            session.write("stty size\n".getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(5)).until(() -> screen.text().contains("41 123"));
        }
        assertThat(driver.inspect(instance)).as("detaching leaves the container alone").isEqualTo(RuntimeStatus.RUNNING);

        Screen second = new Screen();
        try (ConsoleSession again = driver.attach(instance, second)) {
            assertThat(second.text()).contains("42-done");
        }
    }

    @Test
    void statsRiseWithCpuMemoryAndDiskUse() {
        Instance instance = run(List.of("sh", "-c",
                "dd if=/dev/zero of=/tmp/blob bs=1M count=8 oflag=direct; "
                        + "dd if=/dev/zero bs=48M count=1 | sleep 1000 & while true; do :; done"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            InstanceStats stats = driver.stats(instance);
            assertThat(stats.cpuUsagePercent()).isGreaterThan(50f);
            assertThat(stats.cpuTimeNanos()).isPositive();
            assertThat(stats.memoryUsageBytes()).isGreaterThan(40L << 20);
            assertThat(stats.memoryLimitBytes()).isEqualTo(256L << 20);
            assertThat(stats.diskWriteBytes()).isGreaterThanOrEqualTo(8L << 20);
        });
        InstanceStats first = driver.stats(instance);
        InstanceStats later = driver.stats(instance);
        assertThat(later.cpuTimeNanos()).isGreaterThan(first.cpuTimeNanos());
    }

    @Test
    void theCpuQuotaCapsUse() {
        Instance instance = run(fixture.instance(List.of("sh", "-c", "while true; do :; done & while true; do :; done"),
                1, 256L << 20, List.of(), NetworkSpec.NONE));
        driver.stats(instance);
        await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(driver.stats(instance).cpuUsagePercent()).isBetween(60f, 115f));
    }

    @Test
    void volumesAreMountedAndTheirSizeIsEnforced() throws Exception {
        Instance instance = run(fixture.instance(List.of("sh", "-c",
                        "echo kept > /mnt/data/file; dd if=/dev/zero of=/mnt/data/big bs=1M count=64; "
                                + "echo dd-exit=$?; df -k /mnt/data | tail -1; sleep 1000"),
                1, 256L << 20, List.of(new DiskSpec("data", 16L << 20, "ssd", false)), NetworkSpec.NONE));
        Path log = tmp.resolve("containers").resolve(instance.id()).resolve("console.log");

        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("dd-exit="));
        String output = new String(ConsoleLog.tail(log), StandardCharsets.UTF_8);
        assertThat(output).contains("No space left on device").doesNotContain("dd-exit=0");
    }

    @Test
    void theContainerIsConfinedLikeADockerContainer() throws Exception {
        Instance instance = run(List.of("sh", "-c",
                "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; id -u; cat /etc/hostname; "
                        + "echo hosts=$(grep -c localhost /etc/hosts); ip link 2>&1 | grep -c ': lo:'; "
                        + "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"));
        await().atMost(Duration.ofSeconds(10)).until(() -> exits.containsKey(instance.id()));
        String output = new String(ConsoleLog.tail(tmp.resolve("containers").resolve(instance.id()).resolve("console.log")),
                StandardCharsets.UTF_8);

        assertThat(output).contains("CapEff:\t00000000a80425fb").contains("NoNewPrivs:\t1").contains("Seccomp:\t2")
                .contains(instance.name()).contains("hosts=2").contains("4096");
    }

    @Test
    void aRestartedDriverFindsRunningContainersAndExitsThatHappenedMeanwhile() throws Exception {
        Instance running = run(List.of("sleep", "1000"));
        Instance exiting = run(List.of("sh", "-c", "sleep 1; exit 7"));
        driver.close(); // the daemon goes away; conmon stays with each container

        await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(10)).until(() ->
                Files.exists(tmp.resolve("containers/exits").resolve(exiting.id())));
        driver = fixture.driver(new LoopbackNetworks());
        driver.setExitListener(exits::put);

        assertThat(driver.recover(running)).isEqualTo(RuntimeStatus.RUNNING);
        assertThat(driver.recover(exiting)).isEqualTo(RuntimeStatus.exited(7, ""));
    }

    @Test
    void destroyRemovesEverythingTheContainerHad() {
        Instance instance = fixture.instance(List.of("sleep", "1000"), 1, 256L << 20,
                List.of(new DiskSpec("data", 8L << 20, "ssd", false)), NetworkSpec.NONE);
        driver.prepare(instance);
        driver.start(instance);
        driver.kill(instance);
        driver.destroy(instance);

        assertThat(tmp.resolve("containers").resolve(instance.id())).doesNotExist();
        assertThat(Path.of("/var/run/netns", LoopbackNetworks.name(instance))).doesNotExist();
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.ABSENT);
        driver.destroy(instance); // idempotent
    }

    @Test
    void aCommandThatDoesNotExistFailsTheStartNamingIt() {
        Instance instance = fixture.instance(List.of("/no/such/binary"));
        made.add(instance);
        driver.prepare(instance);
        assertThatThrownBy(() -> driver.start(instance)).isInstanceOf(DriverException.class)
                .hasMessageContaining("/no/such/binary");
    }

    /** A console viewer that keeps everything it was shown. */
    static final class Screen implements ConsoleOutput {
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
        volatile String ended;

        @Override
        public synchronized void onData(byte[] data) {
            seen.writeBytes(data);
        }

        @Override
        public void onEnd(String reason) {
            ended = reason;
        }

        synchronized String text() {
            return seen.toString(StandardCharsets.UTF_8);
        }
    }
}
