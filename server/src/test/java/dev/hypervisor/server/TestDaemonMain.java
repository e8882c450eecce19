package dev.hypervisor.server;

import dev.hypervisor.core.driver.TestDriver;
import dev.hypervisor.core.instance.InstanceType;
import java.util.List;

/** hypervisord with the test driver for containers, for end-to-end tests that need instances to run. */
public final class TestDaemonMain {

    private TestDaemonMain() {}

    public static void main(String[] args) {
        System.exit(Hypervisord.run(args,
                config -> config.withRuntimes(List.of(new TestDriver(InstanceType.CONTAINER)))));
    }
}
