package dev.hypervisor.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The certificates as openssl, the field's reference, reads them. */
class SelfSignedTest {

    @TempDir
    Path tmp;

    private static String openssl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("openssl %s: %s", command, out).isZero();
        return out;
    }

    @Test
    void aServerCertificateCarriesItsNamesAndItsKeyIsTheOwnersAlone() throws Exception {
        SelfSigned.Pair pair = SelfSigned.write(tmp.resolve("server.crt"), tmp.resolve("server.key"),
                new SelfSigned.Subject("node-a", "hypervisord", List.of("node-a.example"), List.of("10.0.0.7")),
                SelfSigned.Purpose.SERVER, Duration.ofDays(30));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pair.key()))).isEqualTo("rw-------");
        String text = openssl("x509", "-in", pair.cert().toString(), "-noout", "-text");
        assertThat(text).contains("CN = node-a", "O = hypervisord", "DNS:node-a.example", "IP Address:10.0.0.7",
                "TLS Web Server Authentication");
        assertThat(openssl("pkey", "-in", pair.key().toString(), "-noout", "-text")).contains("Private-Key");

        String sha256 = openssl("x509", "-in", pair.cert().toString(), "-noout", "-fingerprint", "-sha256");
        String expected = sha256.substring(sha256.indexOf('=') + 1).strip().replace(":", "").toLowerCase();
        X509Certificate cert = Certificates.read(pair.cert());
        assertThat(Certificates.fingerprint(cert)).isEqualTo(expected);
        assertThat(Certificates.subject(cert, "CN")).isEqualTo("node-a");
        assertThat(Certificates.parse(Certificates.pem(cert))).isEqualTo(cert);
    }

    @Test
    void anAuthoritySignsCertificatesThatOpensslVerifiesAgainstIt() throws Exception {
        SelfSigned.Pair ca = SelfSigned.write(tmp.resolve("ca.crt"), tmp.resolve("ca.key"),
                SelfSigned.Subject.named("cluster CA"), SelfSigned.Purpose.CA, Duration.ofDays(365));
        SelfSigned.Pair peer = SelfSigned.write(tmp.resolve("peer.crt"), tmp.resolve("peer.key"),
                new SelfSigned.Subject("node-b", null, List.of("node-b"), List.of("127.0.0.1")), SelfSigned.Purpose.PEER,
                Duration.ofDays(30), SelfSigned.authority(ca.cert(), ca.key()));

        assertThat(openssl("verify", "-CAfile", ca.cert().toString(), "-purpose", "sslserver", peer.cert().toString()))
                .contains(": OK");
        assertThat(openssl("verify", "-CAfile", ca.cert().toString(), "-purpose", "sslclient", peer.cert().toString()))
                .contains(": OK");
        SelfSigned.Pair stranger = SelfSigned.write(tmp.resolve("s.crt"), tmp.resolve("s.key"),
                SelfSigned.Subject.named("stranger"), SelfSigned.Purpose.CLIENT, Duration.ofDays(1));
        Process refused = new ProcessBuilder("openssl", "verify", "-CAfile", ca.cert().toString(),
                stranger.cert().toString()).redirectErrorStream(true).start();
        refused.getInputStream().readAllBytes();
        assertThat(refused.waitFor()).as("a certificate the CA did not sign").isNotZero();
    }
}
