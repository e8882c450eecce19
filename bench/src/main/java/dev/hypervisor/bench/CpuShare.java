package dev.hypervisor.bench;

import dev.hypervisor.testkit.DaemonProcess;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/** How many cores the daemon and this benchmark used over an interval, to tell a starved client from a slow daemon. */
record CpuShare(DaemonProcess daemon, long daemonTicks, long ownNanos, long wallNanos) {

    /** Starts counting now. */
    CpuShare(DaemonProcess daemon) {
        this(daemon, daemon.cpuTicks(), ownCpuNanos(), System.nanoTime());
    }

    /** "the daemon used 1.40 cores and this client 0.60 (of 2)" since it was made. */
    String describe() {
        double seconds = (System.nanoTime() - wallNanos) / 1e9;
        return String.format(Locale.ROOT, "the daemon used %.2f cores and this client %.2f (of %d)",
                (daemon.cpuTicks() - daemonTicks) / 100.0 / seconds, (ownCpuNanos() - ownNanos) / 1e9 / seconds,
                Runtime.getRuntime().availableProcessors());
    }

    private static long ownCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
