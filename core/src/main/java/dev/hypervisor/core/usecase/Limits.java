package dev.hypervisor.core.usecase;

import java.util.Set;

/**
 * What this node accepts: resource caps, metadata sizes, the known networks and the default
 * microVM kernel. Configurable; {@link #defaults()} fits a typical host.
 */
public record Limits(
        int maxCpuCores,
        long minMemoryBytes,
        long maxMemoryBytes,
        int maxDisks,
        long maxDiskBytes,
        int maxLabels,
        int maxAnnotationBytes,
        int maxCommandArgs,
        int maxEnv,
        Set<String> networks,
        String defaultMicrovmKernel) {

    public static final long MIB = 1024L * 1024;
    public static final long GIB = 1024 * MIB;

    public Limits {
        networks = Set.copyOf(networks);
        defaultMicrovmKernel = defaultMicrovmKernel == null ? "" : defaultMicrovmKernel;
    }

    public static Limits defaults() {
        return new Limits(64, 16 * MIB, 256 * GIB, 16, 64L * 1024 * GIB, 64, 256 * 1024, 256, 256,
                Set.of("default", "none"), "");
    }

    public Limits withDefaultMicrovmKernel(String kernel) {
        return new Limits(maxCpuCores, minMemoryBytes, maxMemoryBytes, maxDisks, maxDiskBytes, maxLabels,
                maxAnnotationBytes, maxCommandArgs, maxEnv, networks, kernel);
    }

    public Limits withMaxCpuCores(int cores) {
        return new Limits(cores, minMemoryBytes, maxMemoryBytes, maxDisks, maxDiskBytes, maxLabels,
                maxAnnotationBytes, maxCommandArgs, maxEnv, networks, defaultMicrovmKernel);
    }

    public Limits withMaxMemoryBytes(long bytes) {
        return new Limits(maxCpuCores, minMemoryBytes, bytes, maxDisks, maxDiskBytes, maxLabels,
                maxAnnotationBytes, maxCommandArgs, maxEnv, networks, defaultMicrovmKernel);
    }
}
