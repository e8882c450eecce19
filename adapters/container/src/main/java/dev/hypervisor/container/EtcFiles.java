package dev.hypervisor.container;

import dev.hypervisor.core.network.NetworkAttachment;
import dev.hypervisor.host.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The container's {@code /etc/hosts}, {@code /etc/hostname} and {@code /etc/resolv.conf}, bind-mounted over the image's. */
final class EtcFiles {

    private EtcFiles() {}

    static void write(ContainerDirs dirs, String hostname, NetworkAttachment network) throws IOException {
        StringBuilder hosts = new StringBuilder()
                .append("127.0.0.1\tlocalhost\n")
                .append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        if (network.hasAddress()) {
            hosts.append(network.ipAddress()).append('\t').append(hostname).append('\n');
        } else {
            hosts.append("127.0.1.1\t").append(hostname).append('\n');
        }
        StringBuilder resolv = new StringBuilder();
        if (!network.searchDomains().isEmpty()) {
            resolv.append("search ").append(String.join(" ", network.searchDomains())).append('\n');
        }
        network.nameservers().forEach(ns -> resolv.append("nameserver ").append(ns).append('\n'));
        AtomicFiles.write(dirs.hosts(), hosts.toString().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dirs.hostname(), (hostname + "\n").getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dirs.resolvConf(), resolv.toString().getBytes(StandardCharsets.UTF_8));
    }
}
