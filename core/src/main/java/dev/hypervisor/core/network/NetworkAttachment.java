package dev.hypervisor.core.network;

import java.util.List;

/**
 * Where an instance sits on its network.
 *
 * @param networkId the network ({@code default} or {@code none})
 * @param namespacePath the network namespace to run the instance in (a bind-mounted nsfs file)
 * @param ipAddress the instance's IPv4 address; empty on {@code none}
 * @param prefixLength the subnet's prefix length; 0 on {@code none}
 * @param gateway the default gateway; empty on {@code none}
 * @param nameservers resolvers for the instance's resolv.conf
 * @param searchDomains search domains for the instance's resolv.conf
 */
public record NetworkAttachment(
        String networkId, String namespacePath, String ipAddress, int prefixLength, String gateway,
        List<String> nameservers, List<String> searchDomains) {

    public NetworkAttachment {
        nameservers = List.copyOf(nameservers);
        searchDomains = List.copyOf(searchDomains);
    }

    public boolean hasAddress() {
        return !ipAddress.isEmpty();
    }
}
