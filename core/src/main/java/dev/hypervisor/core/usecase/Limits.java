package dev.hypervisor.core.usecase;

import dev.hypervisor.core.network.Subnet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What this node accepts: resource caps, metadata sizes and the known networks (with the
 * subnet of those that hand out addresses). Configurable; {@link #defaults()} fits a typical host.
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
        Map<String, Subnet> subnets) {

    public static final long MIB = 1024L * 1024;
    public static final long GIB = 1024 * MIB;

    public Limits {
        networks = Set.copyOf(networks);
        subnets = Map.copyOf(subnets);
    }

    public static Limits defaults() {
        return new Limits(64, 16 * MIB, 256 * GIB, 16, 64L * 1024 * GIB, 64, 256 * 1024, 256, 256,
                Set.of("default", "none"), Map.of("default", Subnet.parse("10.213.0.0/16")));
    }

    public Limits withMaxCpuCores(int cores) {
        return new Limits(cores, minMemoryBytes, maxMemoryBytes, maxDisks, maxDiskBytes, maxLabels,
                maxAnnotationBytes, maxCommandArgs, maxEnv, networks, subnets);
    }

    public Limits withMaxMemoryBytes(long bytes) {
        return new Limits(maxCpuCores, minMemoryBytes, bytes, maxDisks, maxDiskBytes, maxLabels,
                maxAnnotationBytes, maxCommandArgs, maxEnv, networks, subnets);
    }

    /** The subnet the network hands addresses out of, which static addresses must be assignable in. */
    public Limits withSubnet(String network, Subnet subnet) {
        Map<String, Subnet> more = new HashMap<>(subnets);
        more.put(network, subnet);
        return new Limits(maxCpuCores, minMemoryBytes, maxMemoryBytes, maxDisks, maxDiskBytes, maxLabels,
                maxAnnotationBytes, maxCommandArgs, maxEnv, networks, more);
    }
}
