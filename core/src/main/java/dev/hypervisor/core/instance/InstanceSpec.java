package dev.hypervisor.core.instance;

import java.util.List;
import java.util.Map;

/** What an instance runs and with which resources; immutable once created. */
public record InstanceSpec(
        String image,
        int cpuCores,
        long memoryBytes,
        List<DiskSpec> disks,
        NetworkSpec network,
        String kernel,
        List<String> command,
        Map<String, String> env) {

    public InstanceSpec {
        disks = List.copyOf(disks);
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }
}
