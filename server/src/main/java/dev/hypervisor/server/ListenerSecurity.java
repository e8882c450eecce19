package dev.hypervisor.server;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credentials of the gRPC listener: TLS (1.3, or 1.2) with client certificates asked for
 * and checked against the client CA, or plaintext, which a non-loopback address only gets when
 * asked for with {@code --insecure-listen} (and a warning on every start). A listener is never
 * silently plaintext off loopback.
 */
final class ListenerSecurity {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerSecurity.class);

    private ListenerSecurity() {}

    static ServerCredentials credentials(String host, DaemonConfig.Transport transport) {
        if (transport.tls()) {
            if (transport.clientCa() == null) {
                throw new IllegalArgumentException("--tls-cert needs --client-ca: the CA whose client certificates"
                        + " may call (their O= names the role: viewer, operator or admin)");
            }
            dev.hypervisor.host.SecretFiles.requirePrivate(transport.tlsKey(), "--tls-key");
            LOG.info("TLS with the certificate {} (SHA-256 fingerprint {}); client certificates from {}", transport.tlsCert(),
                    ServerCertificate.fingerprint(transport.tlsCert()), transport.clientCa());
            try {
                return TlsServerCredentials.newBuilder()
                        .keyManager(transport.tlsCert().toFile(), transport.tlsKey().toFile())
                        .trustManager(transport.clientCa().toFile())
                        // Asked for, not required: a caller without one gets UNAUTHENTICATED saying what it lacks.
                        .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
                        .build();
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("cannot use --tls-cert " + transport.tlsCert() + ", --tls-key "
                        + transport.tlsKey() + " and --client-ca " + transport.clientCa() + ": " + e.getMessage(), e);
            }
        }
        if (!loopback(host)) {
            if (!transport.insecure()) {
                throw new IllegalArgumentException("--listen " + host + " is not a loopback address: give it"
                        + " --tls-cert, --tls-key and --client-ca, or --insecure-listen to serve it in plaintext,"
                        + " where anyone who reaches it is admin");
            }
            LOG.warn("serving {} in plaintext (--insecure-listen): anyone who can reach it is admin of this node", host);
        }
        return InsecureServerCredentials.create();
    }

    static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
