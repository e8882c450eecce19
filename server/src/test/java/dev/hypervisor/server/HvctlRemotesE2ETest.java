package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.cli.Hvctl;
import dev.hypervisor.cli.Io;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.tls.Certificates;
import dev.hypervisor.tls.SelfSigned;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * hvctl's remotes against a real daemon on TLS with its own certificate, as a new user meets
 * them: an admin on the socket issues a token, the user adds the remote with it (address and
 * fingerprint from the token, client certificate made on the spot) and then calls with the
 * token's role; a remote added by hand shows the fingerprint the daemon logged and is added only
 * when accepted; a replaced server certificate is refused by name.
 */
class HvctlRemotesE2ETest {

    @TempDir
    Path tmp;

    private DaemonProcess daemon;
    private Path socket;
    private Path config;
    private Path serverCert;

    record Run(int exit, String out, String err) {}

    @BeforeEach
    void start() {
        socket = tmp.resolve("hv.sock");
        config = tmp.resolve("hvctl");
        daemon = E2eDaemons.start(tmp.resolve("data"), true, "--tls", "--socket", socket.toString());
        serverCert = tmp.resolve("data/tls/server.crt");
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private Run answering(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Io io = new Io(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false);
        List<String> all = new ArrayList<>(List.of("--config-dir", config.toString()));
        all.addAll(List.of(args));
        int exit = new Hvctl(Hvctl::plaintext, io, Clock.systemUTC()).execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Run hvctl(String... args) {
        return answering("", args);
    }

    private Run ok(String... args) {
        Run run = hvctl(args);
        assertThat(run.exit()).as("hvctl %s: %s", List.of(args), run.err()).isZero();
        return run;
    }

    private String serverFingerprint() {
        return Certificates.fingerprint(Certificates.read(serverCert));
    }

    @Test
    void aTokenAddsTheRemoteTrustsThisClientAndGrantsItsRole() throws Exception {
        String token = ok("--addr", "unix://" + socket, "trust", "token", "--role", "operator", "--name", "ci").out().strip();

        Run added = ok("remote", "add", "prod", "--token", token);
        assertThat(added.out()).contains("Joined 127.0.0.1:" + daemon.port() + " as ci with role operator",
                "Remote prod added");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config.resolve("config.json"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config.resolve("client.key"))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(config.resolve("config.json"))).contains(serverFingerprint());

        assertThat(ok("--remote", "prod", "create", "by-ci", "--type", "container", "--image", "busybox").out())
                .contains("by-ci");
        Run denied = hvctl("--remote", "prod", "trust", "ls");
        assertThat(denied.exit()).isEqualTo(8);
        assertThat(denied.err().strip()).isEqualTo("hvctl: PERMISSION_DENIED: ListTrust needs the admin role; ci is operator");

        ok("remote", "switch", "prod");
        assertThat(ok("remote", "ls").out()).containsPattern("prod\\s+127\\.0\\.0\\.1:" + daemon.port() + "\\s+"
                + serverFingerprint().substring(0, 16) + "\\s+\\*");
        assertThat(hvctl("trust", "ls").exit()).as("the current remote, not the local socket").isEqualTo(8);
        assertThat(ok("--addr", "unix://" + socket, "trust", "ls").out()).contains("ci", "operator");

        String clientFingerprint = Certificates.fingerprint(Certificates.read(config.resolve("client.crt")));
        ok("--addr", "unix://" + socket, "trust", "rm", clientFingerprint.substring(0, 12));
        Run removed = hvctl("ls");
        assertThat(removed.exit()).isEqualTo(8);
        assertThat(removed.err()).contains("UNAUTHENTICATED", clientFingerprint, "is not trusted here");

        Run reused = hvctl("remote", "add", "again", "--token", token);
        assertThat(reused.exit()).as("a token joins once").isEqualTo(8);
        assertThat(reused.err()).contains("UNAUTHENTICATED");
        assertThat(ok("remote", "ls").out()).as("a failed add leaves no remote").doesNotContain("again");
    }

    @Test
    void aRemoteAddedByHandShowsTheLoggedFingerprintAndIsAddedOnlyWhenAccepted() throws Exception {
        String address = "127.0.0.1:" + daemon.port();
        String fingerprint = serverFingerprint();
        assertThat(daemon.logText()).contains("SHA-256 fingerprint " + fingerprint);

        Run declined = answering("n\n", "remote", "add", "lab", address);
        assertThat(declined.out()).contains("SHA-256 fingerprint " + fingerprint, "Accept it (y/N)?");
        assertThat(declined.exit()).isEqualTo(1);
        assertThat(ok("remote", "ls").out()).doesNotContain("lab");

        Run wrong = hvctl("remote", "add", "lab", address, "--accept-fingerprint", "ab".repeat(32));
        assertThat(wrong.exit()).isEqualTo(8);
        assertThat(wrong.err()).contains("has the SHA-256 fingerprint " + fingerprint + ", not " + "ab".repeat(32));

        Run accepted = answering("y\n", "remote", "add", "lab", address);
        assertThat(accepted.exit()).as(accepted.err()).isZero();
        assertThat(accepted.out()).contains("The daemon trusts this client once an admin adds");
        Run untrusted = hvctl("--remote", "lab", "ls");
        assertThat(untrusted.exit()).isEqualTo(8);
        assertThat(untrusted.err()).contains("UNAUTHENTICATED", "is not trusted here", "hypervisord trust token");

        ok("--addr", "unix://" + socket, "trust", "add", config.resolve("client.crt").toString(), "--role", "viewer");
        assertThat(ok("--remote", "lab", "ls").exit()).isZero();
        Run viewer = hvctl("--remote", "lab", "rm", "nothing");
        assertThat(viewer.err()).contains("PERMISSION_DENIED: DeleteInstance needs the operator role");

        // The daemon's certificate replaced (and reloaded): the pinned one no longer matches.
        SelfSigned.write(serverCert, tmp.resolve("data/tls/server.key"), new SelfSigned.Subject("renewed", null,
                List.of("localhost"), List.of("127.0.0.1")), SelfSigned.Purpose.SERVER, Duration.ofDays(1));
        new ProcessBuilder("kill", "-HUP", Long.toString(daemon.pid())).inheritIO().start().waitFor();
        await().atMost(Duration.ofSeconds(20)).until(() -> daemon.logText().contains("TLS reloaded"));
        Run replaced = hvctl("--remote", "lab", "ls");
        assertThat(replaced.exit()).isEqualTo(6);
        assertThat(replaced.err()).contains("the server certificate of remote lab is SHA-256 " + serverFingerprint()
                + ", not the " + fingerprint + " accepted when it was added");

        Run plaintext = hvctl("--addr", address, "ls");
        assertThat(plaintext.exit()).as("plaintext to the TLS port").isEqualTo(6);
        assertThat(plaintext.err().lines().count()).isEqualTo(1);
    }
}
