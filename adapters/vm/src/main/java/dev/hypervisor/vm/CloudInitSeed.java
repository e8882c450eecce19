package dev.hypervisor.vm;

import dev.hypervisor.core.network.NetworkAttachment;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.qemu.VmDirs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The cloud-init NoCloud seed of a VM: an ISO 9660 volume labelled {@code cidata} with
 * {@code meta-data} (instance id, hostname), {@code user-data} (verbatim from the instance's
 * {@value #USER_DATA_ANNOTATION} annotation, else an empty cloud-config) and, on a network
 * with an address, a v2 {@code network-config} giving the IPAM's address to the NIC with the
 * VM's MAC. Images without cloud-init ignore the extra CD-ROM.
 */
final class CloudInitSeed {

    /** The annotation whose value becomes the seed's user-data. */
    static final String USER_DATA_ANNOTATION = "hypervisor.dev/user-data";

    private CloudInitSeed() {}

    static void write(Path genisoimage, VmDirs dirs, String instanceId, String hostname, String userData,
            NetworkAttachment network, String mac) throws IOException {
        Path seed = Files.createDirectories(dirs.seedDir());
        Files.writeString(seed.resolve("meta-data"),
                "instance-id: " + quote(instanceId) + "\nlocal-hostname: " + quote(hostname) + "\n",
                StandardCharsets.UTF_8);
        Files.writeString(seed.resolve("user-data"), userData.isEmpty() ? "#cloud-config\n{}\n" : userData,
                StandardCharsets.UTF_8);
        List<String> files = List.of("meta-data", "user-data");
        if (network.hasAddress()) {
            Files.writeString(seed.resolve("network-config"), networkConfig(network, mac), StandardCharsets.UTF_8);
            files = List.of("meta-data", "user-data", "network-config");
        }
        Path temp = dirs.seedIso().resolveSibling("seed.iso.tmp");
        List<String> command = new java.util.ArrayList<>(List.of(genisoimage.toString(), "-quiet", "-output",
                temp.toString(), "-volid", "cidata", "-joliet", "-rock"));
        files.forEach(file -> command.add(seed.resolve(file).toString()));
        HostCommand.run(null, command);
        Files.move(temp, dirs.seedIso(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static String networkConfig(NetworkAttachment network, String mac) {
        StringBuilder yaml = new StringBuilder()
                .append("version: 2\n")
                .append("ethernets:\n")
                .append("  eth0:\n")
                .append("    match:\n")
                .append("      macaddress: ").append(quote(mac)).append('\n')
                .append("    set-name: eth0\n")
                .append("    addresses: [").append(quote(network.ipAddress() + "/" + network.prefixLength())).append("]\n");
        if (!network.gateway().isEmpty()) {
            yaml.append("    routes:\n")
                    .append("      - to: default\n")
                    .append("        via: ").append(quote(network.gateway())).append('\n');
        }
        if (!network.nameservers().isEmpty() || !network.searchDomains().isEmpty()) {
            yaml.append("    nameservers:\n")
                    .append("      addresses: [").append(list(network.nameservers())).append("]\n")
                    .append("      search: [").append(list(network.searchDomains())).append("]\n");
        }
        return yaml.toString();
    }

    private static String list(List<String> values) {
        return values.stream().map(CloudInitSeed::quote).collect(Collectors.joining(", "));
    }

    /** A YAML double-quoted scalar: safe for any hostname or id. */
    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
