package dev.hypervisor.core.driver;

/** Told by a driver when an instance's main process ends without being asked to. */
@FunctionalInterface
public interface ExitListener {
    void onExit(String instanceId, RuntimeStatus status);
}
