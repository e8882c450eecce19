package dev.hypervisor.core.driver;

/** What provisioning assigned to an instance (an address from the network's IPAM, or empty). */
public record Provisioned(String ipAddress) {

    public static final Provisioned NOTHING = new Provisioned("");
}
