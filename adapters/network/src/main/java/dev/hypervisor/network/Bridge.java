package dev.hypervisor.network;

import dev.hypervisor.core.network.Subnet;
import dev.hypervisor.core.error.DomainException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The node's Linux bridge: instances' veths plug into it and it holds the subnet's gateway. */
final class Bridge {

    private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);

    private final String name;
    private final Subnet subnet;

    Bridge(String name, Subnet subnet) {
        this.name = name;
        this.subnet = subnet;
    }

    String name() {
        return name;
    }

    boolean exists() {
        return Files.exists(sysfs());
    }

    private Path sysfs() {
        return Path.of("/sys/class/net", name);
    }

    /**
     * Makes the bridge exist, hold the gateway address and be up. Idempotent; an address the
     * bridge already has (an operator's, an older subnet's) is left alone and ours is added.
     */
    void ensure() {
        if (!exists()) {
            var created = HostTools.call("ip", "link", "add", "name", name, "type", "bridge");
            if (created.exitCode() != 0 && !exists()) { // lost a race with another opener: fine
                throw DomainException.unavailable("network: cannot create bridge " + name + ": " + created.output(), null);
            }
            if (created.exitCode() == 0) {
                LOG.info("created bridge {}", name);
            }
        }
        if (!Files.isDirectory(sysfs().resolve("bridge"))) {
            throw DomainException.failedPrecondition("network: interface " + name + " exists and is not a bridge");
        }
        String gatewayCidr = subnet.gateway() + "/" + subnet.prefixLength();
        String addresses = HostTools.run("ip", "-4", "-o", "addr", "show", "dev", name);
        if (!(" " + addresses + " ").contains(" " + gatewayCidr + " ")) {
            HostTools.run("ip", "addr", "add", gatewayCidr, "dev", name);
            LOG.info("bridge {} holds gateway {}", name, gatewayCidr);
        }
        HostTools.run("ip", "link", "set", name, "up");
    }

    /** Deletes the bridge (for tests and uninstall); nothing to do when it is gone. */
    void remove() {
        if (exists()) {
            HostTools.call("ip", "link", "del", name);
        }
    }
}
