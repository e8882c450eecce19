package dev.hypervisor.microvm;

import dev.hypervisor.qemu.QemuDriver;
import dev.hypervisor.qemu.testing.Screen;
import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.DriverContract;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.network.testing.HostResidue;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * microVMs under QEMU's microvm machine (TCG) hold to the driver contract: the workload is the
 * image's shell as the init's child, the power button its SIGTERM, and its exit code the
 * microVM's.
 */
class MicroVmDriverContractTest extends DriverContract {

    @TempDir
    static Path tmp;
    static MicroVmFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = MicroVmFixture.start(tmp);
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Override
    protected Driver openDriver() {
        return fixture.driver();
    }

    @Override
    protected void closeDriver(Driver driver) {
        ((QemuDriver) driver).close();
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
        return fixture.instance(List.of("sh", "-c", script));
    }

    @Override
    protected void awaitUp(Driver driver, Instance instance) {
        Screen screen = new Screen();
        try (var session = ((QemuDriver) driver).attach(instance, screen)) {
            screen.await("workload-up", patience());
        }
    }

    @Override
    protected List<String> leftovers(Instance instance) {
        return HostResidue.of(instance.id(), fixture.options().root().resolve(instance.id()));
    }

    @Override
    protected Duration patience() {
        return Duration.ofSeconds(60);
    }
}
