package dev.hypervisor.core.network;

/**
 * Where a VM sits on its network: a TAP device on the network's bridge for the VM's NIC, and
 * the address the guest is to configure on it (from {@code network}; its namespace path is empty).
 *
 * @param tapName the host's TAP device (at most 15 characters); empty on {@code none}
 * @param network the guest's address, prefix, gateway and resolvers
 */
public record TapAttachment(String tapName, NetworkAttachment network) {

    public boolean hasTap() {
        return !tapName.isEmpty();
    }
}
