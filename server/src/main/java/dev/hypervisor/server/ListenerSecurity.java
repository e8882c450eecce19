package dev.hypervisor.server;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credentials of the gRPC listener: TLS (1.3, or 1.2) with client certificates asked for
 * (see {@link Authorization} for who may call), or plaintext, which a non-loopback address only gets when
 * asked for with {@code --insecure-listen} (and a warning on every start). A listener is never
 * silently plaintext off loopback.
 */
final class ListenerSecurity {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerSecurity.class);

    private ListenerSecurity() {}

    /** The credentials of the listener: TLS from {@code tls} when given, else plaintext where that is allowed. */
    static ServerCredentials credentials(String host, DaemonConfig.Transport transport, TlsMaterial tls) {
        if (tls != null) {
            return tls.credentials();
        }
        if (!loopback(host)) {
            if (!transport.insecure()) {
                throw new IllegalArgumentException("--listen " + host + " is not a loopback address: serve it with"
                        + " TLS (--tls), or --insecure-listen to serve it in plaintext, where anyone who reaches it is admin");
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
