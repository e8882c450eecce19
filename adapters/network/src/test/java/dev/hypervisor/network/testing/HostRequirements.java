package dev.hypervisor.network.testing;

import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.util.List;

/**
 * Checks that the host can run the real network tests. They fail, never skip, when it cannot:
 * a silently skipped network test would let a broken adapter pass.
 */
public final class HostRequirements {

    private HostRequirements() {}

    /** Fails with what is missing unless we are root and ip, iptables and ping are installed. */
    public static void requireRootAndNetworkTools() {
        String uid = outputOf("id", "-u");
        if (!uid.equals("0")) {
            throw new AssertionError("the network tests need root (to create bridges, namespaces and "
                    + "iptables rules); running as uid " + uid);
        }
        for (String tool : List.of("ip", "iptables", "ping")) {
            if (!outputOf("sh", "-c", "command -v " + tool + " || echo MISSING").startsWith("/")) {
                throw new AssertionError("the network tests need '" + tool + "' on the PATH; install the Debian package "
                        + (tool.equals("ping") ? "iputils-ping" : tool.equals("ip") ? "iproute2" : "iptables"));
            }
        }
    }

    private static String outputOf(String... command) {
        try {
            return HostCommand.output(null, List.of(command));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command[0] + ": " + e.getMessage(), e);
        }
    }
}
