package dev.hypervisor.network;

import dev.hypervisor.core.network.NetworkCounters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One VM's TAP device {@code ht<tag>} on the bridge. It is persistent (not tied to the process
 * that opens it), so QEMU can open it by name without privileges of its own and a restarted
 * daemon finds it again; {@code vnet_hdr} lets QEMU offload checksums to the host.
 */
final class InstanceTap {

    private static final Logger LOG = LoggerFactory.getLogger(InstanceTap.class);

    private final String name;

    InstanceTap(String instanceId) {
        this.name = InterfaceNames.of(instanceId).tap();
    }

    String name() {
        return name;
    }

    boolean exists() {
        return Files.exists(Path.of("/sys/class/net", name));
    }

    /** The TAP, a port of {@code bridge}, up. */
    void ensure(String bridge) {
        if (!exists()) {
            var added = HostTools.call("ip", "tuntap", "add", "dev", name, "mode", "tap", "vnet_hdr");
            if (added.exitCode() != 0 && !exists()) {
                HostTools.run("ip", "tuntap", "add", "dev", name, "mode", "tap", "vnet_hdr"); // fails with the output
            }
            LOG.info("tap {} on {}", name, bridge);
        }
        HostTools.run("ip", "link", "set", name, "master", bridge, "up");
    }

    void remove() {
        if (exists()) {
            HostTools.call("ip", "link", "del", name);
        }
    }

    /** Traffic as the guest sees it: what the host's end sent is what the guest received. */
    NetworkCounters counters() {
        Path stats = Path.of("/sys/class/net", name, "statistics");
        try {
            long rx = Long.parseLong(Files.readString(stats.resolve("tx_bytes")).strip());
            long tx = Long.parseLong(Files.readString(stats.resolve("rx_bytes")).strip());
            return new NetworkCounters(rx, tx);
        } catch (IOException | NumberFormatException e) {
            return NetworkCounters.ZERO;
        }
    }
}
