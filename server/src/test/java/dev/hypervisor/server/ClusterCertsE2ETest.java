package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.api.v1.ListTrustRequest;
import dev.hypervisor.api.v1.TrustServiceGrpc;
import dev.hypervisor.testkit.DaemonProcess;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code hypervisord certs init-cluster} and {@code --peer-ca} on a real daemon: a node serves
 * with the certificate made for it, and another node's certificate from the same cluster CA is
 * an admin caller named by its id, verified against the CA by the peer too (no pinning), while a
 * node certificate from another cluster is nobody.
 */
class ClusterCertsE2ETest {

    @TempDir
    Path tmp;

    private final List<ManagedChannel> channels = new ArrayList<>();
    private DaemonProcess daemon;

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        if (daemon != null) {
            daemon.close();
        }
    }

    private record Run(int exit, String out, String err) {}

    private static Run hypervisord(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new Hypervisord()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** A channel as node {@code id} of the cluster in {@code pki}, verifying the server against that cluster's CA. */
    private ManagedChannel asNode(Path pki, String id) throws Exception {
        ManagedChannel c = Grpc.newChannelBuilder("localhost:" + daemon.port(), TlsChannelCredentials.newBuilder()
                .trustManager(pki.resolve("ca.crt").toFile())
                .keyManager(pki.resolve(id + ".crt").toFile(), pki.resolve(id + ".key").toFile()).build()).build();
        channels.add(c);
        return c;
    }

    @Test
    void nodesOfOneClusterCallOneAnotherAsAdminAndNoOtherClusterDoes() throws Exception {
        Path pki = tmp.resolve("pki");
        Run made = hypervisord("certs", "init-cluster", "--dir", pki.toString(), "--node", "node-a=127.0.0.1,localhost",
                "--node", "node-b");
        assertThat(made.exit()).as(made.err()).isZero();
        assertThat(made.out()).contains("made the cluster CA", "node-a: --tls-cert " + pki.resolve("node-a.crt")
                + " --tls-key " + pki.resolve("node-a.key") + " --peer-ca " + pki.resolve("ca.crt"));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(pki.resolve("ca.key")))).isEqualTo("rw-------");

        Run again = hypervisord("certs", "init-cluster", "--dir", pki.toString(), "--node", "node-b");
        assertThat(again.exit()).as("an existing node certificate is kept").isEqualTo(2);
        assertThat(again.err()).contains("node-b.crt exists");
        Run added = hypervisord("certs", "init-cluster", "--dir", pki.toString(), "--node", "node-c");
        assertThat(added.out()).as("a node added later, by the same CA").contains("signing with the cluster CA");

        daemon = E2eDaemons.start(tmp.resolve("data"), true, "--tls-cert", pki.resolve("node-a.crt").toString(),
                "--tls-key", pki.resolve("node-a.key").toString(), "--peer-ca", pki.resolve("ca.crt").toString());
        for (String peer : List.of("node-b", "node-c")) {
            assertThat(TrustServiceGrpc.newBlockingStub(asNode(pki, peer)).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .listTrust(ListTrustRequest.getDefaultInstance()).getClientsCount())
                    .as("%s calls an admin-only method", peer).isZero();
        }

        Path other = tmp.resolve("other");
        assertThat(hypervisord("certs", "init-cluster", "--dir", other.toString(), "--node", "node-b").exit()).isZero();
        Files.copy(pki.resolve("ca.crt"), other.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ManagedChannel stranger = asNode(other, "node-b");
        assertThatThrownBy(() -> TrustServiceGrpc.newBlockingStub(stranger).withDeadlineAfter(20, TimeUnit.SECONDS)
                .listTrust(ListTrustRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("CN=node-b", "is not trusted here");
                });
    }
}
