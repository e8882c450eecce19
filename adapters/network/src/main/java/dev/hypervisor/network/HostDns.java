package dev.hypervisor.network;

import dev.hypervisor.core.network.Ipv4;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resolvers and search domains instances get, taken from the host's resolv.conf. Loopback
 * resolvers (systemd-resolved's 127.0.0.53, a local dnsmasq) are dropped: inside the
 * instance's namespace 127.x is the instance itself, and no DNS server runs on the gateway.
 */
record HostDns(List<String> nameservers, List<String> searchDomains) {

    private static final Logger LOG = LoggerFactory.getLogger(HostDns.class);

    HostDns {
        nameservers = List.copyOf(nameservers);
        searchDomains = List.copyOf(searchDomains);
    }

    /** Reads {@code resolvConf}; a missing file means no resolvers (logged). */
    static HostDns read(Path resolvConf) {
        List<String> lines;
        try {
            lines = Files.readAllLines(resolvConf);
        } catch (IOException e) {
            LOG.warn("cannot read {} ({}): instances get no nameservers", resolvConf, e.toString());
            return new HostDns(List.of(), List.of());
        }
        HostDns dns = parse(lines);
        if (dns.nameservers().isEmpty()) {
            LOG.warn("{} names no non-loopback IPv4 nameserver: instances get none", resolvConf);
        }
        return dns;
    }

    static HostDns parse(List<String> lines) {
        List<String> servers = new ArrayList<>();
        List<String> search = new ArrayList<>();
        for (String line : lines) {
            String[] words = line.strip().split("\\s+");
            if (words.length < 2) {
                continue;
            }
            switch (words[0]) {
                // Only IPv4: instances get no IPv6 address or route, so an IPv6 resolver only adds timeouts.
                case "nameserver" -> {
                    if (Ipv4.isValid(words[1]) && !words[1].startsWith("127.") && !servers.contains(words[1])) {
                        servers.add(words[1]);
                    }
                }
                // As in glibc, the last of "search" and "domain" wins.
                case "search", "domain" -> {
                    search.clear();
                    for (int i = 1; i < words.length && !words[i].startsWith("#"); i++) {
                        search.add(words[i]);
                    }
                }
                default -> { }
            }
        }
        return new HostDns(servers, search);
    }
}
