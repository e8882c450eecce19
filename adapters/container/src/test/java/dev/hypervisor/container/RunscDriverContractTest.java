package dev.hypervisor.container;

import static org.awaitility.Awaitility.await;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.DriverContract;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.network.testing.HostResidue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * gVisor's runsc under conmon holds to the driver contract, on network {@code none} (runsc's
 * own network stack cannot start on this host's kernel: see ContainerRuntime).
 */
class RunscDriverContractTest extends DriverContract {

    @TempDir
    static Path tmp;
    static ContainerFixture fixture;

    @BeforeAll
    static void start() throws IOException {
        fixture = ContainerFixture.start(tmp);
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Override
    protected Driver openDriver() {
        return fixture.driver(fixture.runsc(), new LoopbackNetworks());
    }

    @Override
    protected void closeDriver(Driver driver) {
        ((ContainerDriver) driver).close();
    }

    @Override
    protected Instance instance(Workload workload) {
        String script;
        if (workload instanceof Workload.Exits exits) {
            script = "exit " + exits.code();
        } else if (workload instanceof Workload.IgnoresStop) {
            script = "trap '' TERM; echo workload-up; while :; do sleep 0.1; done";
        } else {
            script = "trap 'exit 0' TERM; echo workload-up; while :; do sleep 0.1; done";
        }
        return fixture.instance(List.of("sh", "-c", script), 1, 64L << 20, List.of(), NetworkSpec.NONE);
    }

    @Override
    protected void awaitUp(Driver driver, Instance instance) {
        Path log = tmp.resolve("containers-runsc").resolve(instance.id()).resolve("console.log");
        await("workload-up on the console of " + instance.id()).atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20)).until(() -> console(log).contains("workload-up"));
    }

    private static String console(Path log) {
        try {
            return new String(ConsoleLog.tail(log), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected List<String> leftovers(Instance instance) {
        List<String> left = new java.util.ArrayList<>(HostResidue.of(instance.id(), tmp.resolve("containers-runsc").resolve(instance.id())));
        if (java.nio.file.Files.exists(tmp.resolve("containers-runsc/runtime").resolve(instance.id()))) {
            left.add("its runc state");
        }
        return left;
    }
}
