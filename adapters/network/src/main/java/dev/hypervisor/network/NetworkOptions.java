package dev.hypervisor.network;

import dev.hypervisor.core.network.Subnet;
import dev.hypervisor.core.error.DomainException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * How the node's {@code default} network is laid out on the host.
 *
 * @param bridgeName the Linux bridge instances plug into (at most 15 characters)
 * @param subnet the instances' subnet; its first host address is the gateway on the bridge
 * @param masquerade whether to NAT the subnet to the host's default route (when it has one)
 * @param hostResolvConf where to read the nameservers and search domains instances get
 */
public record NetworkOptions(String bridgeName, Subnet subnet, boolean masquerade, Path hostResolvConf) {

    /** 10.213/16 rather than podman's 10.88/16 or docker's 172.17/16, so that they can share a host. */
    public static final String DEFAULT_SUBNET = "10.213.0.0/16";
    public static final String DEFAULT_BRIDGE = "hv0";

    private static final Pattern INTERFACE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

    public NetworkOptions {
        if (bridgeName == null || !INTERFACE_NAME.matcher(bridgeName).matches()) {
            throw DomainException.invalidArgument("bridgeName",
                    "must be 1-15 letters, digits, '_', '.' or '-', got \"" + bridgeName + "\"");
        }
        if (subnet == null || hostResolvConf == null) {
            throw DomainException.invalidArgument("subnet", "subnet and hostResolvConf are required");
        }
    }

    public static NetworkOptions defaults() {
        return new NetworkOptions(DEFAULT_BRIDGE, Subnet.parse(DEFAULT_SUBNET), true, Path.of("/etc/resolv.conf"));
    }

    public NetworkOptions withBridgeName(String name) {
        return new NetworkOptions(name, subnet, masquerade, hostResolvConf);
    }

    public NetworkOptions withSubnet(String cidr) {
        return new NetworkOptions(bridgeName, Subnet.parse(cidr), masquerade, hostResolvConf);
    }

    public NetworkOptions withMasquerade(boolean enabled) {
        return new NetworkOptions(bridgeName, subnet, enabled, hostResolvConf);
    }

    public NetworkOptions withHostResolvConf(Path path) {
        return new NetworkOptions(bridgeName, subnet, masquerade, path);
    }
}
