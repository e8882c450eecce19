package dev.hypervisor.core.driver;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.Placement;
import dev.hypervisor.core.usecase.InstanceIds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The test double behind the core's flow tests holds to the same contract as the real drivers. */
class TestDriverContractTest extends DriverContract {

    private static final InstanceIds IDS = new InstanceIds();
    private final TestDriver driver = new TestDriver(InstanceType.CONTAINER);

    @Override
    protected Driver openDriver() {
        return driver; // its "host" is its memory, which outlives a close
    }

    @Override
    protected void closeDriver(Driver closing) {
    }

    @Override
    protected Instance instance(Workload workload) {
        List<String> command = workload instanceof Workload.Exits exits
                ? List.of(TestDriver.EXIT_COMMAND, Integer.toString(exits.code()))
                : workload instanceof Workload.IgnoresStop ? List.of(TestDriver.IGNORE_STOP_COMMAND) : List.of("sleep", "1d");
        return Instance.newInstance(IDS.next(), "contract", InstanceType.CONTAINER,
                new InstanceSpec("busybox", 1, 64L << 20, List.of(), null, "", command, Map.of()), Metadata.EMPTY,
                Placement.ANY, "node-1", Instant.now());
    }

    @Override
    protected void awaitUp(Driver on, Instance instance) {
    }

    @Override
    protected List<String> leftovers(Instance instance) {
        List<String> left = new ArrayList<>();
        if (driver.isRunning(instance.id())) {
            left.add("running");
        }
        if (driver.isPrepared(instance.id())) {
            left.add("prepared");
        }
        return left;
    }
}
