package dev.hypervisor.core.usecase;

import dev.hypervisor.core.driver.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.driver.ConsoleSource;
import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.InstanceStats;
import dev.hypervisor.core.driver.StatsSource;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.runtime.RuntimeRegistry;

/**
 * GetInstanceStats and AttachConsole: route to the instance's driver when it has the
 * capability and the instance runs; otherwise FAILED_PRECONDITION saying which is missing.
 * A runtime failing to answer (a cgroup or socket gone with a process that just exited) is
 * UNAVAILABLE with the runtime's words: worth a retry, and not a bug of the daemon.
 */
public final class RuntimeAccess {

    private final InstanceRepository repository;
    private final RuntimeRegistry runtimes;

    public RuntimeAccess(InstanceRepository repository, RuntimeRegistry runtimes) {
        this.repository = repository;
        this.runtimes = runtimes;
    }

    public InstanceStats stats(String instanceId) {
        Instance instance = running(instanceId, "stats");
        if (!(runtimes.requireDriver(instance) instanceof StatsSource source)) {
            throw DomainException.failedPrecondition(
                    "the runtime for INSTANCE_TYPE_" + instance.type() + " does not report stats");
        }
        try {
            return source.stats(instance);
        } catch (DriverException e) {
            throw DomainException.unavailable("stats of " + instanceId + ": " + e.getMessage(), e);
        }
    }

    public ConsoleSession attach(String instanceId, ConsoleOutput output) {
        Instance instance = running(instanceId, "a console");
        Driver driver = runtimes.requireDriver(instance);
        if (!(driver instanceof ConsoleSource source)) {
            throw DomainException.failedPrecondition(
                    "the runtime for INSTANCE_TYPE_" + instance.type() + " has no console");
        }
        try {
            return source.attach(instance, output);
        } catch (DriverException e) {
            throw DomainException.unavailable("console of " + instanceId + ": " + e.getMessage(), e);
        }
    }

    private Instance running(String instanceId, String what) {
        ChangeInstance.requireId(instanceId);
        Instance instance = repository.get(instanceId);
        if (instance.state() != InstanceState.RUNNING) {
            throw DomainException.failedPrecondition("instance " + instanceId + " is " + instance.state()
                    + "; " + what + " needs it RUNNING");
        }
        return instance;
    }
}
