package dev.hypervisor.testkit.tls;

import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway certificate authority made with {@code openssl} (as operators make theirs), and
 * certificates it signs: servers on 127.0.0.1/localhost, clients by common name. Keys are
 * PKCS#8 PEM, what grpc-java, jetcd and etcd all read.
 */
public final class TestCertificates {

    /** A certificate and its key, PEM files; {@code ca} is the authority that signed it. */
    public record Pair(Path cert, Path key, Path ca) {}

    private final Path dir;
    private final Path caCert;
    private final Path caKey;

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.caCert = dir.resolve("ca.pem");
        this.caKey = dir.resolve("ca-key.pem");
    }

    /** A new CA under {@code dir} (created if missing). */
    public static TestCertificates authority(Path dir) {
        TestCertificates ca = new TestCertificates(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        ca.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", ca.caKey.toString(), "-out", ca.caCert.toString(), "-days", "2", "-subj", "/CN=hv-test-ca");
        return ca;
    }

    public Path ca() {
        return caCert;
    }

    /** A server certificate for 127.0.0.1 and localhost. */
    public Pair server(String name) {
        return sign(name, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth");
    }

    /** A client certificate whose common name is {@code name}. */
    public Pair client(String name) {
        return sign(name, "extendedKeyUsage=clientAuth");
    }

    /** A client certificate for {@code name} whose organization is {@code organization} (O=operator). */
    public Pair client(String name, String organization) {
        return sign(name, "/O=" + organization, "extendedKeyUsage=clientAuth");
    }

    private Pair sign(String name, String extensions) {
        return sign(name, "", extensions);
    }

    private Pair sign(String name, String subjectSuffix, String extensions) {
        Path key = dir.resolve(name + "-key.pem");
        Path csr = dir.resolve(name + ".csr");
        Path cert = dir.resolve(name + ".pem");
        Path ext = dir.resolve(name + ".ext");
        try {
            Files.writeString(ext, extensions + "\n");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(),
                "-out", csr.toString(), "-subj", "/CN=" + name + subjectSuffix);
        openssl("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-out", cert.toString(), "-days", "2", "-extfile", ext.toString());
        // openssl req writes PKCS#8 already ("BEGIN PRIVATE KEY"); say so rather than assume it.
        try {
            if (!Files.readString(key, StandardCharsets.US_ASCII).contains("BEGIN PRIVATE KEY")) {
                throw new IllegalStateException("openssl wrote " + key + " in another format than PKCS#8");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new Pair(cert, key, caCert);
    }

    private void openssl(String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        try {
            HostCommand.of(command).in(dir).timeout(Duration.ofSeconds(30)).run();
        } catch (IOException e) {
            throw new IllegalStateException("openssl (apt-get install openssl; ./test.sh installs it): " + e.getMessage(), e);
        }
    }
}
