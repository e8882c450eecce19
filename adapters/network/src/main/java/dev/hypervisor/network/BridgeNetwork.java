package dev.hypervisor.network;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.network.NetworkAttachment;
import dev.hypervisor.core.network.NetworkCounters;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.network.TapAttachment;
import dev.hypervisor.core.store.Store;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Networks} port on a Linux bridge, as podman's and CNI's bridge plugin do it:
 * {@code default} puts each instance in its own network namespace with a veth pair into the
 * node's bridge, an address from the store-kept {@link Ipam}, and a default route via the
 * bridge's gateway address (NATed to the host's default route); {@code none} is a namespace
 * with loopback only. VMs get a TAP device on the bridge instead of a namespace, and the same
 * IPAM address for the guest to configure. Everything on the host is named after the instance id, so a restarted
 * daemon finds it again.
 */
public final class BridgeNetwork implements Networks {

    private static final Logger LOG = LoggerFactory.getLogger(BridgeNetwork.class);

    private final NetworkOptions options;
    private final Bridge bridge;
    private final Masquerade masquerade;
    private final Ipam ipam;

    private BridgeNetwork(Store store, NetworkOptions options) {
        this.options = options;
        this.bridge = new Bridge(options.bridgeName(), options.subnet());
        this.masquerade = new Masquerade(options.bridgeName(), options.subnet());
        this.ipam = new Ipam(store, NetworkSpec.DEFAULT, options.subnet());
    }

    /**
     * Sets up the host (idempotently: also what a daemon restart calls) and returns the
     * network: the bridge up with the gateway address, and, when the host has a default route
     * and {@link NetworkOptions#masquerade()} is on, the NAT rules and IPv4 forwarding.
     * UNAVAILABLE when a host tool fails.
     */
    /**
     * IllegalStateException when another interface of the host holds an address in the
     * subnet (another daemon's bridge, a host network): two IPAMs would hand out the same
     * addresses, and the routes would fight. The bridge itself may hold it (a restart).
     */
    public static void requireSubnetFree(NetworkOptions options) {
        for (String line : HostTools.run("ip", "-4", "-o", "addr", "show").split("\n")) {
            String[] fields = line.trim().split("\\s+");
            // "4: eth0    inet 192.0.2.2/24 brd ... scope global eth0"
            if (fields.length < 4 || !fields[2].equals("inet")) {
                continue;
            }
            String device = fields[1].replaceAll("@.*", "");
            if (!device.equals(options.bridgeName()) && options.subnet().overlaps(fields[3])) {
                throw new IllegalStateException("subnet " + options.subnet() + " overlaps " + fields[3] + " on " + device
                        + "; give this daemon another --subnet (and --bridge)");
            }
        }
    }

    public static BridgeNetwork open(Store store, NetworkOptions options) {
        BridgeNetwork network = new BridgeNetwork(store, options);
        network.bridge.ensure();
        if (!options.masquerade()) {
            LOG.info("bridge {} ({}): NAT disabled by configuration", options.bridgeName(), options.subnet());
        } else if (Masquerade.hostHasDefaultRoute()) {
            network.masquerade.ensure();
            LOG.info("bridge {} ({}): NAT to the host's default route", options.bridgeName(), options.subnet());
        } else {
            LOG.warn("bridge {} ({}): the host has no default route, so no NAT; instances reach only the bridge",
                    options.bridgeName(), options.subnet());
        }
        return network;
    }

    public NetworkOptions options() {
        return options;
    }

    @Override
    public NetworkAttachment attachNamespace(Instance instance) {
        String networkId = networkIdOf(instance);
        InstanceNamespace namespace = new InstanceNamespace(instance.id());
        switch (networkId) {
            case NetworkSpec.NONE -> {
                namespace.ensureNamespace();
                return new NetworkAttachment(networkId, namespace.path().toString(), "", 0, "", List.of(), List.of());
            }
            case NetworkSpec.DEFAULT -> {
                // The address first: a full subnet or a taken static address then changes nothing on the host.
                String address = ipam.allocate(instance.id(), requestedAddress(instance));
                if (!bridge.exists()) {
                    LOG.warn("bridge {} disappeared; making it again", bridge.name());
                    bridge.ensure();
                }
                namespace.ensureNamespace();
                namespace.ensureVeth(bridge.name(), address, options.subnet().prefixLength(), options.subnet().gateway());
                HostDns dns = HostDns.read(options.hostResolvConf());
                return new NetworkAttachment(networkId, namespace.path().toString(), address,
                        options.subnet().prefixLength(), options.subnet().gateway(), dns.nameservers(), dns.searchDomains());
            }
            default -> throw DomainException.notFound("network " + networkId);
        }
    }

    @Override
    public TapAttachment attachTap(Instance instance) {
        String networkId = networkIdOf(instance);
        switch (networkId) {
            case NetworkSpec.NONE -> {
                return new TapAttachment("", new NetworkAttachment(networkId, "", "", 0, "", List.of(), List.of()));
            }
            case NetworkSpec.DEFAULT -> {
                String address = ipam.allocate(instance.id(), requestedAddress(instance));
                if (!bridge.exists()) {
                    LOG.warn("bridge {} disappeared; making it again", bridge.name());
                    bridge.ensure();
                }
                InstanceTap tap = new InstanceTap(instance.id());
                tap.ensure(bridge.name());
                HostDns dns = HostDns.read(options.hostResolvConf());
                return new TapAttachment(tap.name(), new NetworkAttachment(networkId, "", address,
                        options.subnet().prefixLength(), options.subnet().gateway(), dns.nameservers(),
                        dns.searchDomains()));
            }
            default -> throw DomainException.notFound("network " + networkId);
        }
    }

    /** Whatever network the instance names: removal must also work for a spec it cannot attach. */
    @Override
    public void detach(Instance instance) {
        new InstanceNamespace(instance.id()).remove();
        new InstanceTap(instance.id()).remove();
        ipam.release(instance.id());
    }

    @Override
    public NetworkCounters counters(Instance instance) {
        InstanceTap tap = new InstanceTap(instance.id());
        return tap.exists() ? tap.counters() : new InstanceNamespace(instance.id()).counters();
    }

    /**
     * Deletes the bridge and the NAT rules that {@link #open} made; instances' namespaces are
     * left to {@link #detach}, and IPv4 forwarding stays as it is. For tests and uninstall.
     */
    public void removeFromHost() {
        removeFromHost(options);
    }

    /**
     * Deletes the bridge and the NAT rules of a network with these options, whether or not one
     * is open in this process (a daemon that died, a benchmark cleaning up after it).
     */
    public static void removeFromHost(NetworkOptions options) {
        new Masquerade(options.bridgeName(), options.subnet()).remove();
        new Bridge(options.bridgeName(), options.subnet()).remove();
    }

    private static String networkIdOf(Instance instance) {
        NetworkSpec network = instance.spec().network();
        return network == null || network.networkId() == null || network.networkId().isEmpty()
                ? NetworkSpec.DEFAULT : network.networkId();
    }

    private static String requestedAddress(Instance instance) {
        NetworkSpec network = instance.spec().network();
        return network == null || network.ipAddress() == null ? "" : network.ipAddress();
    }
}
