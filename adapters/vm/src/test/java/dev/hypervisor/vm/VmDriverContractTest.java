package dev.hypervisor.vm;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.DriverContract;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.network.testing.HostResidue;
import dev.hypervisor.qemu.QemuDriver;
import dev.hypervisor.qemu.testing.Screen;
import dev.hypervisor.testkit.guest.GuestInitramfs;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * q35 VMs under QEMU (TCG) hold to the driver contract. The guest's init honours the power
 * button or not, and powers itself off once ready for the exit case: a VM's guest ends only by
 * powering off (code 0).
 */
class VmDriverContractTest extends DriverContract {

    @TempDir
    static Path tmp;
    static VmFixture fixture;

    @BeforeAll
    static void start() throws IOException {
        fixture = VmFixture.start(tmp);
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
        if (workload instanceof Workload.Exits) {
            return fixture.instance(true, GuestInitramfs.POWER_OFF_WHEN_READY);
        }
        return fixture.instance(!(workload instanceof Workload.IgnoresStop));
    }

    @Override
    protected void awaitUp(Driver driver, Instance instance) {
        Screen screen = new Screen(); // replayed the scrollback, then live
        try (var session = ((QemuDriver) driver).attach(instance, screen)) {
            screen.await(GuestInitramfs.READY, patience());
        }
    }

    @Override
    protected List<String> leftovers(Instance instance) {
        return HostResidue.of(instance.id(), fixture.options().root().resolve(instance.id()));
    }

    @Override
    protected List<Integer> exitCodes() {
        return List.of(0);
    }

    @Override
    protected Duration patience() {
        return Duration.ofSeconds(60);
    }
}
