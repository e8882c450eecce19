package dev.hypervisor.core.instance;

import java.util.List;
import java.util.Map;

/**
 * What an instance runs and with which resources; immutable once created. The runtime class
 * names the runtime that runs it (as Kubernetes' RuntimeClass: "runc", "runsc"); empty in a
 * request means the node's default for the type, and CreateInstance records the one chosen.
 */
public record InstanceSpec(
        String image,
        int cpuCores,
        long memoryBytes,
        List<DiskSpec> disks,
        NetworkSpec network,
        String kernel,
        List<String> command,
        Map<String, String> env,
        String runtimeClass) {

    public InstanceSpec {
        disks = List.copyOf(disks);
        command = List.copyOf(command);
        env = Map.copyOf(env);
        runtimeClass = runtimeClass == null ? "" : runtimeClass; // records stored before runtime classes
    }

    /** A spec with no runtime class: the node's default for the instance's type. */
    public InstanceSpec(String image, int cpuCores, long memoryBytes, List<DiskSpec> disks, NetworkSpec network,
            String kernel, List<String> command, Map<String, String> env) {
        this(image, cpuCores, memoryBytes, disks, network, kernel, command, env, "");
    }

    public InstanceSpec withKernel(String newKernel) {
        return new InstanceSpec(image, cpuCores, memoryBytes, disks, network, newKernel, command, env, runtimeClass);
    }

    public InstanceSpec withRuntimeClass(String name) {
        return new InstanceSpec(image, cpuCores, memoryBytes, disks, network, kernel, command, env, name);
    }
}
