package dev.hypervisor.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.core.driver.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.driver.InstanceStats;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.NetworkSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What gVisor adds: the workload runs on runsc's user-space kernel, with the console and stats a container has. */
class RunscDriverTest {

    @TempDir
    static Path tmp;
    static ContainerFixture fixture;
    static ContainerDriver driver;

    @BeforeAll
    static void start() throws Exception {
        fixture = ContainerFixture.start(tmp);
        driver = fixture.driver(fixture.runsc(), new LoopbackNetworks());
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

    @Test
    void theWorkloadRunsOnGvisorsKernelWithATerminalConsoleAndStats() throws Exception {
        Instance instance = fixture.instance(List.of("sh", "-c", "echo kernel=$(uname -r); exec sh"), 1, 128L << 20,
                List.of(), NetworkSpec.NONE);
        try {
            driver.prepare(instance);
            driver.start(instance);
            Screen screen = new Screen();
            ConsoleSession session = driver.attach(instance, screen);
            await().atMost(Duration.ofSeconds(20)).until(() -> screen.text().contains("kernel="));
            String host = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
            String guest = screen.text().substring(screen.text().indexOf("kernel=") + 7).split("\\s")[0];
            assertThat(guest).as("runsc's kernel, not the host's " + host).isNotEqualTo(host).isNotEmpty();

            session.write("echo typed-$((6*7))\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(Duration.ofSeconds(20)).until(() -> screen.text().contains("typed-42"));
            session.close();

            InstanceStats stats = driver.stats(instance);
            assertThat(stats.memoryUsageBytes()).as("the sandbox's memory, from its cgroup").isPositive();
            assertThat(stats.memoryLimitBytes()).isEqualTo(128L << 20);
        } finally {
            driver.destroy(instance);
        }
    }

    @Test
    void withoutANetworkOfItsOwnOnlyNetworkNoneIsTaken() {
        ContainerRuntime runsc = new ContainerRuntime("runsc", fixture.runsc(), false);
        InstanceSpec spec = new InstanceSpec("busybox", 1, 64L << 20, List.of(), null, "", List.of("true"), Map.of());
        assertThatThrownBy(() -> runsc.admit(spec, Metadata.EMPTY))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
                .hasMessageStartingWith("spec.network.network_id: runtime class runsc has no network on this node");
        InstanceSpec none = new InstanceSpec("busybox", 1, 64L << 20, List.of(), new NetworkSpec(NetworkSpec.NONE, ""),
                "", List.of("true"), Map.of());
        assertThat(runsc.admit(none, Metadata.EMPTY)).isEqualTo(none);
    }

    /** Keeps all it is shown. */
    static final class Screen implements ConsoleOutput {
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

        @Override
        public synchronized void onData(byte[] data) {
            seen.writeBytes(data);
        }

        @Override
        public void onEnd(String reason) { }

        synchronized String text() {
            return seen.toString(StandardCharsets.UTF_8);
        }
    }
}
