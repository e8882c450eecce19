package dev.hypervisor.network;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.network.NetworkCounters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance's named network namespace and, on the bridge, its veth pair: {@code eth0}
 * inside, {@code hv<tag>} on the host. Every step checks what is there first, so running
 * {@link #ensureNamespace} and {@link #ensureVeth} again repairs whatever a crash left.
 */
final class InstanceNamespace {

    private static final Logger LOG = LoggerFactory.getLogger(InstanceNamespace.class);
    static final String INSIDE = "eth0";

    private final InterfaceNames names;

    InstanceNamespace(String instanceId) {
        this.names = InterfaceNames.of(instanceId);
    }

    Path path() {
        return names.namespacePath();
    }

    String hostVeth() {
        return names.hostVeth();
    }

    boolean exists() {
        return Files.exists(path());
    }

    /** The namespace, with loopback up. */
    void ensureNamespace() {
        String ns = names.namespace();
        if (!exists()) {
            var added = HostTools.call("ip", "netns", "add", ns);
            if (added.exitCode() != 0 && !exists()) {
                throw DomainException.unavailable("network: cannot create namespace " + ns + ": " + added.output(), null);
            }
        }
        if (!HostTools.succeeds("ip", "-n", ns, "link", "set", "lo", "up")) {
            // The file exists but is no namespace (a crash inside "ip netns add"): make it again.
            LOG.warn("namespace {} is unusable; recreating it", ns);
            HostTools.call("ip", "netns", "del", ns);
            HostTools.run("ip", "netns", "add", ns);
            HostTools.run("ip", "-n", ns, "link", "set", "lo", "up");
        }
    }

    /**
     * The veth pair between the namespace and {@code bridge}, {@code eth0} holding
     * {@code address/prefix} with the default route via {@code gateway}.
     */
    void ensureVeth(String bridge, String address, int prefix, String gateway) {
        String ns = names.namespace();
        String host = names.hostVeth();
        boolean inside = HostTools.succeeds("ip", "-n", ns, "link", "show", INSIDE);
        boolean outside = Files.exists(Path.of("/sys/class/net", host));
        if (!inside || !outside) {
            // A half-made pair is deleted and made again: deleting either end removes both.
            if (inside) {
                HostTools.call("ip", "-n", ns, "link", "del", INSIDE);
            }
            if (outside) {
                HostTools.call("ip", "link", "del", host);
            }
            // Made with its peer already inside the namespace: no moment where "eth0" would
            // clash with the host's own eth0, and no temporary name to clean up after a crash.
            HostTools.run("ip", "link", "add", host, "type", "veth", "peer", "name", INSIDE, "netns", ns);
            LOG.info("veth {} <-> {}:{}", host, ns, INSIDE);
        }
        HostTools.run("ip", "link", "set", host, "master", bridge, "up");
        String cidr = address + "/" + prefix;
        String held = HostTools.run("ip", "-n", ns, "-4", "-o", "addr", "show", "dev", INSIDE);
        if (!(" " + held + " ").contains(" " + cidr + " ")) {
            // A different address is left from an older allocation; it must not linger beside the new one.
            HostTools.run("ip", "-n", ns, "addr", "flush", "dev", INSIDE);
            HostTools.run("ip", "-n", ns, "addr", "add", cidr, "dev", INSIDE);
        }
        HostTools.run("ip", "-n", ns, "link", "set", INSIDE, "up");
        HostTools.run("ip", "-n", ns, "route", "replace", "default", "via", gateway, "dev", INSIDE);
    }

    /**
     * Deletes the host veth and the namespace. The veth goes first and explicitly: while a
     * process still runs inside, deleting the namespace's name would not free its interfaces.
     */
    void remove() {
        if (Files.exists(Path.of("/sys/class/net", names.hostVeth()))) {
            HostTools.call("ip", "link", "del", names.hostVeth());
        }
        if (exists()) {
            var deleted = HostTools.call("ip", "netns", "del", names.namespace());
            if (deleted.exitCode() != 0 && exists()) {
                throw DomainException.unavailable(
                        "network: cannot delete namespace " + names.namespace() + ": " + deleted.output(), null);
            }
            LOG.info("deleted namespace {}", names.namespace());
        }
    }

    /** Traffic as the instance sees it: what the host end sent is what the instance received. */
    NetworkCounters counters() {
        Path stats = Path.of("/sys/class/net", names.hostVeth(), "statistics");
        try {
            long rx = Long.parseLong(Files.readString(stats.resolve("tx_bytes")).strip());
            long tx = Long.parseLong(Files.readString(stats.resolve("rx_bytes")).strip());
            return new NetworkCounters(rx, tx);
        } catch (IOException | NumberFormatException e) {
            return NetworkCounters.ZERO; // no veth: detached, on "none", or deleted meanwhile
        }
    }
}
