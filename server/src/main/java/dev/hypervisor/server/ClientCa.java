package dev.hypervisor.server;

import dev.hypervisor.core.trust.Role;
import dev.hypervisor.tls.Certificates;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The certificate authorities the daemon trusts callers by, besides its trust store:
 * {@code --client-ca}, whose certificates are callers with their organization (O=viewer,
 * O=operator, O=admin) as role, and {@code --peer-ca}, the cluster's CA, whose certificates
 * are the other nodes, admin by their common name. Both checked with the JDK's PKIX path
 * validation (expiry, signature, CA constraints, client-auth key usage); read again on
 * {@link #reload()}.
 */
final class ClientCa {

    /** A chain's verdict: the identity when a CA signed it and it names a role, else why not (null problem: not ours). */
    record Verdict(Identity identity, String problem) {}

    /** The validators in use; a new one per reload, so that a verdict cached with one keeps to it. */
    private record Validators(X509TrustManager clients, X509TrustManager peers) {}

    private final Path clientCa;
    private final Path peerCa;
    private volatile Validators validators;

    /** Either file may be null, not both. */
    ClientCa(Path clientCa, Path peerCa) {
        this.clientCa = clientCa;
        this.peerCa = peerCa;
        this.validators = load();
    }

    /** For the log: which files it trusts. */
    String describe() {
        return (clientCa == null ? "" : "clients signed by " + clientCa) + (clientCa != null && peerCa != null ? ", " : "")
                + (peerCa == null ? "" : "peers signed by " + peerCa);
    }

    void reload() {
        validators = load();
    }

    /** The current validators: a verdict cached with them keeps to the CAs it was made with. */
    Object version() {
        return validators;
    }

    Verdict verify(X509Certificate[] chain) {
        Validators now = validators;
        X509Certificate cert = chain[0];
        String name = Certificates.subject(cert, "CN");
        if (now.peers() != null && signed(now.peers(), chain)) {
            if (name == null) {
                return new Verdict(null, "the peer certificate " + cert.getSubjectX500Principal().getName()
                        + " has no common name: it must be the node's id (hypervisord certs init-cluster makes them so)");
            }
            return new Verdict(new Identity(name, Certificates.fingerprint(cert), Role.ADMIN, cert), null);
        }
        if (now.clients() == null || !signed(now.clients(), chain)) {
            return new Verdict(null, null); // not signed by our CAs: the trust store may still know it
        }
        Role role = Role.named(Certificates.subject(cert, "O"));
        if (name == null || role == null) {
            return new Verdict(null, "the client certificate " + cert.getSubjectX500Principal().getName()
                    + " names no role: its organization must be viewer, operator or admin (O=operator)");
        }
        return new Verdict(new Identity(name, Certificates.fingerprint(cert), role, cert), null);
    }

    private static boolean signed(X509TrustManager validator, X509Certificate[] chain) {
        try {
            validator.checkClientTrusted(chain, "UNKNOWN");
            return true;
        } catch (CertificateException | RuntimeException e) {
            return false;
        }
    }

    private Validators load() {
        return new Validators(clientCa == null ? null : load("--client-ca", clientCa),
                peerCa == null ? null : load("--peer-ca", peerCa));
    }

    private static X509TrustManager load(String option, Path file) {
        List<X509Certificate> cas = Certificates.readAll(file);
        if (cas.isEmpty()) {
            throw new IllegalArgumentException(option + " " + file + " holds no certificate");
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("the JDK offers no X.509 trust manager");
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("cannot use " + option + " " + file + ": " + e.getMessage(), e);
        }
    }
}
