package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.tls.TestCertificates;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gRPC listener on TLS with client certificates from a CA, a real daemon, openssl-made
 * certificates: who may call what by role, and what a caller without a certificate, with one
 * of another CA or in plaintext gets; and that no address off loopback is served in plaintext
 * unless asked.
 */
class TlsE2ETest {

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

    private ManagedChannel channel(ChannelCredentials credentials) {
        ManagedChannel c = Grpc.newChannelBuilder("localhost:" + daemon.port(), credentials).build();
        channels.add(c);
        return c;
    }

    private ManagedChannel as(TestCertificates ca, TestCertificates.Pair client) throws Exception {
        TlsChannelCredentials.Builder creds = TlsChannelCredentials.newBuilder().trustManager(ca.ca().toFile());
        if (client != null) {
            creds.keyManager(client.cert().toFile(), client.key().toFile());
        }
        return channel(creds.build());
    }

    /** The test daemon on every address (0.0.0.0), which E2eDaemons never listens on. */
    private DaemonProcess offLoopback(String dir, String... extra) {
        List<String> args = new ArrayList<>(List.of("--listen", "0.0.0.0:0", "--data-dir",
                tmp.resolve(dir).toString(), "--metrics-listen", "off", "--node-id", "tls-node"));
        args.addAll(List.of(extra));
        return DaemonProcess.start(TestDaemonMain.class.getName(), List.of("-Xmx256m"), args, tmp.resolve(dir + ".log"),
                java.time.Duration.ofSeconds(60));
    }

    private static CreateInstanceRequest create(String name) {
        return CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage("busybox")).build();
    }

    private static Status.Code code(Runnable call) {
        try {
            call.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void eachRoleDoesWhatItMayAndNoMore() throws Exception {
        TestCertificates ca = TestCertificates.authority(tmp.resolve("pki"));
        TestCertificates.Pair server = ca.server("hypervisord");
        daemon = E2eDaemons.start(tmp.resolve("data"), true, "--tls-cert", server.cert().toString(),
                "--tls-key", server.key().toString(), "--client-ca", ca.ca().toString());

        var viewer = ComputeServiceGrpc.newBlockingStub(as(ca, ca.client("alice", "viewer")))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
        var operator = ComputeServiceGrpc.newBlockingStub(as(ca, ca.client("bob", "operator")))
                .withDeadlineAfter(20, TimeUnit.SECONDS);

        String id = operator.createInstance(create("by-bob")).getId();
        assertThat(viewer.getInstance(dev.hypervisor.api.v1.GetInstanceRequest.newBuilder().setInstanceId(id).build())
                .getName()).isEqualTo("by-bob");
        assertThat(viewer.listInstances(ListInstancesRequest.getDefaultInstance()).getInstancesCount()).isEqualTo(1);
        assertThatThrownBy(() -> viewer.createInstance(create("by-alice")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).isEqualTo("CreateInstance needs the operator role; alice is viewer");
                });
        assertThat(code(() -> viewer.deleteInstance(dev.hypervisor.api.v1.DeleteInstanceRequest.newBuilder()
                .setInstanceId(id).build()))).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(HealthGrpc.newBlockingStub(as(ca, ca.client("carol", "viewer"))).withDeadlineAfter(20, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);

        // No certificate, one that names no role, one of another CA, or no TLS at all: nobody.
        assertThatThrownBy(() -> ComputeServiceGrpc.newBlockingStub(as(ca, null)).withDeadlineAfter(20, TimeUnit.SECONDS)
                .listInstances(ListInstancesRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("needs a client certificate");
                });
        assertThatThrownBy(() -> HealthGrpc.newBlockingStub(as(ca, ca.client("dave"))).withDeadlineAfter(20, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("names no role");
                });
        TestCertificates other = TestCertificates.authority(tmp.resolve("other-pki"));
        TestCertificates.Pair stranger = other.client("mallory", "admin");
        ChannelCredentials strangers = TlsChannelCredentials.newBuilder()
                .trustManager(ca.ca().toFile()).keyManager(stranger.cert().toFile(), stranger.key().toFile()).build();
        assertThatThrownBy(() -> ComputeServiceGrpc.newBlockingStub(channel(strangers))
                .withDeadlineAfter(20, TimeUnit.SECONDS).listInstances(ListInstancesRequest.getDefaultInstance()))
                .as("a certificate another CA signed, in no trust store")
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("CN=mallory", "is not trusted here");
                });
        assertThat(code(() -> ComputeServiceGrpc.newBlockingStub(channel(InsecureChannelCredentials.create()))
                .withDeadlineAfter(20, TimeUnit.SECONDS).listInstances(ListInstancesRequest.getDefaultInstance())))
                .as("plaintext to a TLS listener").isEqualTo(Status.Code.UNAVAILABLE);

        // The audit log: the calls that change something, allowed or denied, and none of the reads.
        List<com.fasterxml.jackson.databind.JsonNode> audit = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(tmp.resolve("data/audit.log"))) {
            audit.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line));
        }
        assertThat(audit).extracting(l -> l.get("identity").asText() + " " + l.get("method").asText() + " "
                + l.get("code").asText()).containsExactly("bob CreateInstance OK", "alice CreateInstance PERMISSION_DENIED",
                "alice DeleteInstance PERMISSION_DENIED");
        assertThat(audit.get(0).get("instance_id").asText()).isEqualTo(id);
        assertThat(audit.get(0).get("instance_name").asText()).isEqualTo("by-bob");
        assertThat(audit.get(0).get("transport").asText()).isEqualTo("tls");
        assertThat(audit.get(0).get("fingerprint").asText()).hasSize(64);
    }

    @Test
    void withoutACertificateTheDaemonMakesItsOwnOnceAndLogsItsFingerprint() throws Exception {
        TestCertificates ca = TestCertificates.authority(tmp.resolve("pki"));
        Path data = tmp.resolve("data");
        daemon = E2eDaemons.start(data, true, "--tls", "--client-ca", ca.ca().toString());
        Path cert = data.resolve("tls/server.crt");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(data.resolve("tls/server.key")))).isEqualTo("rw-------");
        String fingerprint = dev.hypervisor.tls.Certificates.fingerprint(dev.hypervisor.tls.Certificates.read(cert));
        assertThat(daemon.logText()).contains("SHA-256 fingerprint " + fingerprint);

        // A client that trusts exactly this certificate (pinned) and shows an operator certificate.
        TestCertificates.Pair bob = ca.client("bob", "operator");
        ChannelCredentials pinned = TlsChannelCredentials.newBuilder().trustManager(cert.toFile())
                .keyManager(bob.cert().toFile(), bob.key().toFile()).build();
        assertThat(ComputeServiceGrpc.newBlockingStub(channel(pinned)).withDeadlineAfter(20, TimeUnit.SECONDS)
                .createInstance(create("pinned")).getName()).isEqualTo("pinned");

        daemon.close();
        daemon = E2eDaemons.start(data, true, "--tls", "--client-ca", ca.ca().toString());
        assertThat(dev.hypervisor.tls.Certificates.fingerprint(dev.hypervisor.tls.Certificates.read(cert))).as("kept across restarts").isEqualTo(fingerprint);
        assertThat(daemon.logText()).contains("SHA-256 fingerprint " + fingerprint);
    }

    @Test
    void aKeyOtherUsersCanReadIsRefused() throws Exception {
        TestCertificates ca = TestCertificates.authority(tmp.resolve("pki"));
        TestCertificates.Pair server = ca.server("hypervisord");
        java.nio.file.Files.setPosixFilePermissions(server.key(),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> E2eDaemons.start(tmp.resolve("data"), true, "--tls-cert", server.cert().toString(),
                "--tls-key", server.key().toString(), "--client-ca", ca.ca().toString()))
                .hasMessageContaining("exited with 1").hasMessageContaining("--tls-key " + server.key()
                        + " is open to other users (mode rw-r--r--): chmod 600");
    }

    @Test
    void anAddressOffLoopbackIsNeverSilentlyPlaintext() throws Exception {
        daemon = offLoopback("data");
        java.nio.file.Path cert = tmp.resolve("data/tls/server.crt");
        assertThat(daemon.logText()).as("TLS with a certificate of its own, without being asked")
                .contains("SHA-256 fingerprint " + dev.hypervisor.tls.Certificates.fingerprint(
                        dev.hypervisor.tls.Certificates.read(cert)));
        assertThat(code(() -> ComputeServiceGrpc.newBlockingStub(channel(InsecureChannelCredentials.create()))
                .withDeadlineAfter(20, TimeUnit.SECONDS).listInstances(ListInstancesRequest.getDefaultInstance())))
                .as("plaintext to it").isEqualTo(Status.Code.UNAVAILABLE);
        ChannelCredentials pinnedOnly = TlsChannelCredentials.newBuilder().trustManager(cert.toFile()).build();
        assertThat(code(() -> ComputeServiceGrpc.newBlockingStub(channel(pinnedOnly)).withDeadlineAfter(20, TimeUnit.SECONDS)
                .listInstances(ListInstancesRequest.getDefaultInstance())))
                .as("TLS without a client certificate").isEqualTo(Status.Code.UNAUTHENTICATED);
        daemon.close();

        daemon = offLoopback("data2", "--insecure-listen");
        assertThat(daemon.logText()).contains("in plaintext (--insecure-listen): anyone who can reach it is admin");
        assertThat(ComputeServiceGrpc.newBlockingStub(channel(InsecureChannelCredentials.create()))
                .withDeadlineAfter(20, TimeUnit.SECONDS).listInstances(ListInstancesRequest.getDefaultInstance())
                .getInstancesCount()).isZero();
    }
}
