package dev.hypervisor.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Makes EC P-256 keys and certificates as files: a self-signed one (the daemon's own, a
 * client's first certificate, as Incus makes them) or one signed by a CA made here (a
 * cluster's). The key file is created mode 0600 before a byte is written; both files are
 * written aside and moved into place, so a crash leaves either both or the old pair.
 */
public final class SelfSigned {

    /** What a certificate is for: a server (TLS server auth), a client, both (a cluster node), or a CA. */
    public enum Purpose { SERVER, CLIENT, PEER, CA }

    /** A certificate's subject and names. */
    public record Subject(String commonName, String organization, List<String> dnsNames, List<String> ipAddresses) {
        public static Subject named(String commonName) {
            return new Subject(commonName, null, List.of(), List.of());
        }
    }

    /** A written pair of files. */
    public record Pair(Path cert, Path key) {}

    /** A CA in memory, to sign with. */
    public record Authority(X509Certificate certificate, PrivateKey key) {}

    private static final SecureRandom RANDOM = new SecureRandom();

    private SelfSigned() {}

    /** Writes a self-signed certificate and its key. */
    public static Pair write(Path cert, Path key, Subject subject, Purpose purpose, Duration validity) {
        return write(cert, key, subject, purpose, validity, null);
    }

    /** Writes a certificate for {@code subject} signed by {@code issuer} (null: self-signed), and its key. */
    public static Pair write(Path cert, Path key, Subject subject, Purpose purpose, Duration validity,
            Authority issuer) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            KeyPair pair = generator.generateKeyPair();
            X509Certificate certificate = certificate(subject, purpose, validity, pair, issuer);
            Path dir = cert.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Files.createDirectories(key.toAbsolutePath().getParent());
            Path keyTmp = key.resolveSibling(key.getFileName() + ".tmp");
            Files.deleteIfExists(keyTmp);
            Files.createFile(keyTmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(keyTmp, pem(new PemObject("PRIVATE KEY", pair.getPrivate().getEncoded())));
            Path certTmp = cert.resolveSibling(cert.getFileName() + ".tmp");
            Files.writeString(certTmp, Certificates.pem(certificate));
            Files.move(keyTmp, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(certTmp, cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new Pair(cert, key);
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalArgumentException("cannot make a certificate at " + cert + ": " + e.getMessage(), e);
        }
    }

    /** A CA read back from its files (a PKCS#8 EC key, as {@link #write} makes it). */
    public static Authority authority(Path cert, Path key) {
        try {
            String text = Files.readString(key).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            PrivateKey privateKey = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                    Base64.getDecoder().decode(text)));
            return new Authority(Certificates.read(cert), privateKey);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read the CA " + cert + " and its key " + key + ": "
                    + e.getMessage(), e);
        }
    }

    private static X509Certificate certificate(Subject subject, Purpose purpose, Duration validity, KeyPair pair,
            Authority issuer) throws IOException, GeneralSecurityException, OperatorCreationException {
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=" + escape(subject.commonName())
                + (subject.organization() == null ? "" : ",O=" + escape(subject.organization())));
        X500Name issuerName = issuer == null ? name : X500Name.getInstance(
                issuer.certificate().getSubjectX500Principal().getEncoded());
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName, new BigInteger(127, RANDOM),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), name, pair.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(purpose == Purpose.CA));
        switch (purpose) {
            case CA -> builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            case SERVER -> builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            case CLIENT -> builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            case PEER -> builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        }
        List<GeneralName> names = new ArrayList<>();
        subject.dnsNames().forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
        subject.ipAddresses().forEach(i -> names.add(new GeneralName(GeneralName.iPAddress, i)));
        if (!names.isEmpty()) {
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(GeneralName[]::new)));
        }
        PrivateKey signer = issuer == null ? pair.getPrivate() : issuer.key();
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace(",", "\\,").replace("+", "\\+").replace("=", "\\=")
                .replace("\"", "\\\"").replace("<", "\\<").replace(">", "\\>").replace(";", "\\;");
    }

    private static String pem(PemObject object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }
}
