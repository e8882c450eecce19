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
 * The {@code --client-ca}: certificates it signed are callers whose organization (O=viewer,
 * O=operator, O=admin) is their role, checked with the JDK's PKIX path validation (expiry,
 * signature, CA constraints). Read again on {@link #reload()}.
 */
final class ClientCa {

    /** A chain's verdict: the identity when the CA signed it and it names a role, else why not (null problem: not ours). */
    record Verdict(Identity identity, String problem) {}

    private final Path file;
    private volatile X509TrustManager validator;

    ClientCa(Path file) {
        this.file = file;
        this.validator = load(file);
    }

    Path file() {
        return file;
    }

    void reload() {
        validator = load(file);
    }

    /** The current validator: a verdict cached with one keeps to the CA it was made with. */
    Object version() {
        return validator;
    }

    Verdict verify(X509Certificate[] chain) {
        try {
            validator.checkClientTrusted(chain, "UNKNOWN");
        } catch (CertificateException | RuntimeException e) {
            return new Verdict(null, null); // not signed by our CA: the trust store may still know it
        }
        X509Certificate cert = chain[0];
        String name = Certificates.subject(cert, "CN");
        Role role = Role.named(Certificates.subject(cert, "O"));
        if (name == null || role == null) {
            return new Verdict(null, "the client certificate " + cert.getSubjectX500Principal().getName()
                    + " names no role: its organization must be viewer, operator or admin (O=operator)");
        }
        return new Verdict(new Identity(name, Certificates.fingerprint(cert), role, cert), null);
    }

    private static X509TrustManager load(Path file) {
        List<X509Certificate> cas = Certificates.readAll(file);
        if (cas.isEmpty()) {
            throw new IllegalArgumentException("--client-ca " + file + " holds no certificate");
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
            throw new IllegalArgumentException("cannot use --client-ca " + file + ": " + e.getMessage(), e);
        }
    }
}
