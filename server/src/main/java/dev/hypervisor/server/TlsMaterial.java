package dev.hypervisor.server;

import dev.hypervisor.host.SecretFiles;
import dev.hypervisor.tls.Certificates;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the TLS listener serves with: the daemon's certificate and key, and the client and peer
 * CAs when there are any. {@link #reload()} reads all of them again (SIGHUP): new handshakes get the new
 * certificate, connections and streams already open keep going on theirs; a file that does not
 * read leaves the old material in place.
 */
final class TlsMaterial {

    private static final Logger LOG = LoggerFactory.getLogger(TlsMaterial.class);

    private final Path cert;
    private final Path key;
    private final ClientCa clientCa;
    private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    private volatile String fingerprint;

    private TlsMaterial(Path cert, Path key, ClientCa clientCa) {
        this.cert = cert;
        this.key = key;
        this.clientCa = clientCa;
    }

    /** The material of a TLS transport, read and checked now. */
    static TlsMaterial load(DaemonConfig.Transport transport) {
        TlsMaterial material = new TlsMaterial(transport.tlsCert(), transport.tlsKey(),
                transport.clientCa() == null && transport.peerCa() == null ? null
                        : new ClientCa(transport.clientCa(), transport.peerCa()));
        material.readKeys();
        LOG.info("TLS with the certificate {} (SHA-256 fingerprint {}); clients by {}", material.cert,
                material.fingerprint, material.clientCa == null ? "the trust store"
                        : "the trust store, " + material.clientCa.describe());
        return material;
    }

    ServerCredentials credentials() {
        return TlsServerCredentials.newBuilder()
                .keyManager(keys)
                .trustManager(new AnyClientCertificate())
                // Asked for, not required: a caller without one gets UNAUTHENTICATED saying what it lacks.
                .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
                .build();
    }

    /** The client CA, or null when only the trust store decides. */
    ClientCa clientCa() {
        return clientCa;
    }

    /** The SHA-256 fingerprint of the certificate served now. */
    String fingerprint() {
        return fingerprint;
    }

    /** Reads the certificate, key and client CA again; on failure keeps serving the old ones and says why. */
    boolean reload() {
        try {
            readKeys();
            if (clientCa != null) {
                clientCa.reload();
            }
            LOG.info("TLS reloaded: serving the certificate {} (SHA-256 fingerprint {})", cert, fingerprint);
            return true;
        } catch (IllegalArgumentException e) {
            LOG.error("TLS reload failed, still serving the certificate with fingerprint {}: {}", fingerprint,
                    e.getMessage());
            return false;
        }
    }

    private synchronized void readKeys() {
        SecretFiles.requirePrivate(key, "--tls-key");
        try {
            String next = Certificates.fingerprint(Certificates.read(cert));
            keys.updateIdentityCredentials(cert.toFile(), key.toFile());
            fingerprint = next;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("cannot use --tls-cert " + cert + " and --tls-key " + key + ": "
                    + e.getMessage(), e);
        }
    }
}
