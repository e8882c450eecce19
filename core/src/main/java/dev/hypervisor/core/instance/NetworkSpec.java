package dev.hypervisor.core.instance;

/** The network an instance joins and an optional static address. */
public record NetworkSpec(String networkId, String ipAddress) {

    public static final String DEFAULT = "default";
    public static final String NONE = "none";
}
