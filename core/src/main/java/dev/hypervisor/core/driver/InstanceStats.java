package dev.hypervisor.core.driver;

import java.time.Instant;

/** One resource usage sample; byte and CPU time counters are cumulative since the instance started. */
public record InstanceStats(
        String instanceId,
        float cpuUsagePercent,
        long cpuTimeNanos,
        long memoryUsageBytes,
        long memoryLimitBytes,
        long diskReadBytes,
        long diskWriteBytes,
        long networkRxBytes,
        long networkTxBytes,
        Instant sampleTime) {}
