package dev.hypervisor.core.driver;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceType;
import java.time.Duration;

/**
 * A runtime that runs instances of one type on this node (runc, QEMU, QEMU microvm).
 *
 * <p>Every method is idempotent and checks the real world first, so the reconciler can call
 * it again after a crash at any point. Methods block until done and report failures as
 * {@link DriverException}. {@link #kill} may be called concurrently with {@link #stop} or
 * {@link #start} of the same instance and must make them return promptly. Optional
 * capabilities are separate interfaces: {@link StatsSource}, {@link ConsoleSource},
 * {@link Resettable}.
 */
public interface Driver {

    InstanceType type();

    /** Provisions what the instance needs to boot (image, disks, root filesystem, network). */
    Provisioned prepare(Instance instance);

    /** Boots a prepared instance; returns once it runs. */
    void start(Instance instance);

    /** Asks the instance to shut down, waits up to {@code timeout}, then kills it; returns once it is down. */
    void stop(Instance instance, Duration timeout);

    /** Kills the instance at once; returns once it is down. */
    void kill(Instance instance);

    /** Releases everything {@link #prepare} made; the instance is not running. */
    void destroy(Instance instance);

    /** After a daemon restart: re-attaches to the instance if it still runs, and reports what runs. */
    RuntimeStatus recover(Instance instance);

    /** What runs for the instance now. */
    RuntimeStatus inspect(Instance instance);

    /** Registers the listener told when an instance's main process exits on its own. */
    void setExitListener(ExitListener listener);
}
