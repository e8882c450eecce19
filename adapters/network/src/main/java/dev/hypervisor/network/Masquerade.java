package dev.hypervisor.network;

import dev.hypervisor.core.network.Subnet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NAT from the subnet to wherever the host routes, as podman's bridge does: a MASQUERADE rule
 * for traffic leaving by any interface but the bridge, FORWARD accepts for the bridge, and
 * IPv4 forwarding on. Rules carry a comment naming the bridge so an operator can find them.
 */
final class Masquerade {

    private static final Logger LOG = LoggerFactory.getLogger(Masquerade.class);
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");

    /** One iptables rule: its table, chain and match-and-target arguments. */
    record Rule(String table, String chain, List<String> spec) {}

    private final List<Rule> rules;

    Masquerade(String bridge, Subnet subnet) {
        String comment = "hypervisord " + bridge;
        this.rules = List.of(
                new Rule("nat", "POSTROUTING", List.of("-s", subnet.toString(), "!", "-o", bridge,
                        "-m", "comment", "--comment", comment, "-j", "MASQUERADE")),
                new Rule("filter", "FORWARD", List.of("-i", bridge,
                        "-m", "comment", "--comment", comment, "-j", "ACCEPT")),
                new Rule("filter", "FORWARD", List.of("-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED",
                        "-m", "comment", "--comment", comment, "-j", "ACCEPT")));
    }

    List<Rule> rules() {
        return rules;
    }

    static boolean hostHasDefaultRoute() {
        return !HostTools.run("ip", "-4", "route", "show", "default").isBlank();
    }

    /** Adds the rules that are missing (checked one by one) and turns on IPv4 forwarding. */
    void ensure() {
        for (Rule rule : rules) {
            if (HostTools.call(command(rule, "-C")).exitCode() != 0) {
                // FORWARD accepts go first: appended after a host's DROP or REJECT they would never match.
                HostTools.run(command(rule, rule.chain().equals("FORWARD") ? "-I" : "-A"));
                LOG.info("iptables -t {} {} {}", rule.table(), rule.chain(), String.join(" ", rule.spec()));
            }
        }
        enableForwarding();
    }

    /** Deletes the rules (every copy); nothing to do when they are gone. Leaves forwarding as it is. */
    void remove() {
        for (Rule rule : rules) {
            while (HostTools.call(command(rule, "-C")).exitCode() == 0) {
                HostTools.run(command(rule, "-D"));
            }
        }
    }

    private static String[] command(Rule rule, String action) {
        List<String> command = new ArrayList<>(List.of("iptables", "-w", "-t", rule.table(), action, rule.chain()));
        command.addAll(rule.spec());
        return command.toArray(String[]::new);
    }

    private static void enableForwarding() {
        try {
            if (!Files.readString(IP_FORWARD).strip().equals("1")) {
                Files.writeString(IP_FORWARD, "1\n");
                LOG.info("enabled net.ipv4.ip_forward");
            }
        } catch (IOException e) {
            throw dev.hypervisor.core.error.DomainException.unavailable(
                    "network: cannot enable net.ipv4.ip_forward: " + e.getMessage(), e);
        }
    }
}
