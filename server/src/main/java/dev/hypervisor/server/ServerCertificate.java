package dev.hypervisor.server;

import dev.hypervisor.tls.SelfSigned;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The daemon's own TLS certificate when none is given, as Incus makes one: an EC P-256 key and
 * a self-signed certificate for localhost, 127.0.0.1, the host's name and the listen address,
 * made on first start under {@code DATA/tls/} (the key mode 0600) and kept. Clients pin it by
 * its SHA-256 fingerprint, which the daemon logs, or trust the certificate file itself.
 */
final class ServerCertificate {

    static final Duration VALIDITY = Duration.ofDays(3650);

    private ServerCertificate() {}

    /** The certificate under {@code dir}, made when missing; returns its files. */
    static SelfSigned.Pair ensure(Path dir, String listenHost) {
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        if (Files.isRegularFile(cert) && Files.isRegularFile(key)) {
            return new SelfSigned.Pair(cert, key);
        }
        Set<String> dns = new LinkedHashSet<>(List.of("localhost", hostName()));
        Set<String> ips = new LinkedHashSet<>(List.of("127.0.0.1", "::1"));
        if (listenHost != null && !listenHost.isEmpty() && !listenHost.equals("0.0.0.0") && !listenHost.equals("::")) {
            (listenHost.matches("[0-9.]+|.*:.*") ? ips : dns).add(listenHost);
        }
        return SelfSigned.write(cert, key, new SelfSigned.Subject("hypervisord " + hostName(), null,
                new ArrayList<>(dns), new ArrayList<>(ips)), SelfSigned.Purpose.SERVER, VALIDITY);
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
