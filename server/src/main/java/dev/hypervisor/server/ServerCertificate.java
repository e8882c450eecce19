package dev.hypervisor.server;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * The daemon's own TLS certificate when none is given, as Incus makes one: an EC P-256 key and
 * a self-signed certificate for localhost, 127.0.0.1, the host's name and the listen address,
 * made on first start under {@code DATA/tls/} (the key mode 0600) and kept. Clients pin it by
 * its SHA-256 fingerprint, which the daemon logs, or trust the certificate file itself.
 */
final class ServerCertificate {

    static final Duration VALIDITY = Duration.ofDays(3650);

    /** The certificate and key files. */
    record Pem(Path cert, Path key) {}

    private ServerCertificate() {}

    /** The certificate under {@code dir}, made when missing; returns its files. */
    static Pem ensure(Path dir, String listenHost) {
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        if (Files.isRegularFile(cert) && Files.isRegularFile(key)) {
            return new Pem(cert, key);
        }
        try {
            Files.createDirectories(dir);
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=hypervisord " + hostName());
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    new BigInteger(127, new SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(VALIDITY)), subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                            names(listenHost).toArray(GeneralName[]::new)));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            Path keyTmp = dir.resolve("server.key.tmp");
            Files.deleteIfExists(keyTmp);
            Files.createFile(keyTmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(keyTmp, pem(new PemObject("PRIVATE KEY", pair.getPrivate().getEncoded())));
            Path certTmp = dir.resolve("server.crt.tmp");
            Files.writeString(certTmp, pem(new PemObject("CERTIFICATE", certificate.getEncoded())));
            Files.move(keyTmp, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(certTmp, cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new Pem(cert, key);
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalArgumentException("cannot make the daemon's TLS certificate under " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The SHA-256 fingerprint of a PEM certificate file, as the audit log writes clients' (lower-case hex). */
    static String fingerprint(Path cert) {
        try (var in = Files.newInputStream(cert)) {
            return Authorization.fingerprint((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the certificate " + cert + ": " + e.getMessage(), e);
        }
    }

    private static List<GeneralName> names(String listenHost) {
        Set<String> dns = new LinkedHashSet<>(List.of("localhost", hostName()));
        Set<String> ips = new LinkedHashSet<>(List.of("127.0.0.1", "::1"));
        if (listenHost != null && !listenHost.isEmpty() && !listenHost.equals("0.0.0.0") && !listenHost.equals("::")) {
            (listenHost.matches("[0-9.]+|.*:.*") ? ips : dns).add(listenHost);
        }
        List<GeneralName> names = new ArrayList<>();
        dns.forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
        ips.forEach(i -> names.add(new GeneralName(GeneralName.iPAddress, i)));
        return names;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static String pem(PemObject object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }
}
