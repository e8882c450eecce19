package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.api.v1.AddTrustRequest;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.JoinToken;
import dev.hypervisor.api.v1.JoinWithTokenRequest;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.RemoveTrustRequest;
import dev.hypervisor.api.v1.Role;
import dev.hypervisor.api.v1.TrustServiceGrpc;
import dev.hypervisor.api.v1.TrustedClient;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.tls.Certificates;
import dev.hypervisor.tls.SelfSigned;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The trust store on a real daemon with its own self-signed certificate and no client CA:
 * a client with a certificate of its own joins with a token printed by
 * {@code hypervisord trust token} on the unix socket, calls with the token's role, and is
 * shut out again on its open connection when an admin removes it; SIGHUP reloads the server
 * certificate while a stream opened before goes on.
 */
class TrustE2ETest {

    @TempDir
    Path tmp;

    private final List<ManagedChannel> channels = new ArrayList<>();
    private DaemonProcess daemon;
    private Path socket;

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        if (daemon != null) {
            daemon.close();
        }
    }

    private void startDaemon() {
        socket = tmp.resolve("hv.sock");
        daemon = E2eDaemons.start(tmp.resolve("data"), true, "--tls", "--socket", socket.toString());
    }

    /** A client certificate of its own, as hvctl makes one. */
    private SelfSigned.Pair client(String name, Duration validity) {
        return SelfSigned.write(tmp.resolve(name + ".crt"), tmp.resolve(name + ".key"), SelfSigned.Subject.named(name),
                SelfSigned.Purpose.CLIENT, validity);
    }

    /** A TLS channel that pins the daemon's certificate and shows {@code client}'s. */
    private ManagedChannel tls(Path serverCert, SelfSigned.Pair client) {
        try {
            ManagedChannel c = Grpc.newChannelBuilder("localhost:" + daemon.port(), TlsChannelCredentials.newBuilder()
                    .trustManager(serverCert.toFile()).keyManager(client.cert().toFile(), client.key().toFile()).build())
                    .build();
            channels.add(c);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ManagedChannel overSocket() {
        ManagedChannel c = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build();
        channels.add(c);
        return c;
    }

    private String hypervisord(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Hypervisord()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
        assertThat(code).as("hypervisord %s: %s", List.of(args), err).isZero();
        return out.toString();
    }

    private static Status status(Runnable call) {
        try {
            call.run();
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    private static CreateInstanceRequest create(String name) {
        return CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage("busybox")).build();
    }

    @Test
    void aClientJoinsWithATokenCallsWithItsRoleAndIsShutOutWhenRemoved() throws Exception {
        startDaemon();
        Path serverCert = tmp.resolve("data/tls/server.crt");
        String token = hypervisord("trust", "token", "--role", "operator", "--socket", socket.toString()).strip();

        JoinToken decoded = JoinToken.parseFrom(Base64.getUrlDecoder().decode(token));
        assertThat(decoded.getServerFingerprint()).isEqualTo(Certificates.fingerprint(Certificates.read(serverCert)));
        assertThat(decoded.getAddressesList()).contains("127.0.0.1:" + daemon.port());

        SelfSigned.Pair ci = client("ci-runner", Duration.ofDays(30));
        String fingerprint = Certificates.fingerprint(Certificates.read(ci.cert()));
        ManagedChannel channel = tls(serverCert, ci);
        var compute = ComputeServiceGrpc.newBlockingStub(channel);
        Status before = status(() -> compute.withDeadlineAfter(20, TimeUnit.SECONDS)
                .listInstances(ListInstancesRequest.getDefaultInstance()));
        assertThat(before.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(before.getDescription()).contains("CN=ci-runner", fingerprint, "is not trusted here",
                "hypervisord trust token");

        TrustedClient joined = TrustServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                .joinWithToken(JoinWithTokenRequest.newBuilder().setToken(token).build());
        assertThat(joined.getName()).isEqualTo("ci-runner");
        assertThat(joined.getRole()).isEqualTo(Role.ROLE_OPERATOR);
        assertThat(joined.getFingerprint()).isEqualTo(fingerprint);
        assertThat(joined.getAddedBy()).as("the user who issued the token over the socket")
                .isEqualTo(System.getProperty("user.name"));

        String id = compute.withDeadlineAfter(20, TimeUnit.SECONDS).createInstance(create("by-ci").toBuilder()
                .setRequestId("ci-build-17").build()).getId();
        Status adminOnly = status(() -> TrustServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                .removeTrust(RemoveTrustRequest.newBuilder().setFingerprint(fingerprint).build()));
        assertThat(adminOnly.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(adminOnly.getDescription()).isEqualTo("RemoveTrust needs the admin role; ci-runner is operator");

        ManagedChannel second = tls(serverCert, client("second", Duration.ofDays(1)));
        Status reused = status(() -> TrustServiceGrpc.newBlockingStub(second).withDeadlineAfter(20, TimeUnit.SECONDS)
                .joinWithToken(JoinWithTokenRequest.newBuilder().setToken(token).build()));
        assertThat(reused.getCode()).as("a token joins once").isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(reused.getDescription()).contains("unknown, used or expired");

        assertThat(hypervisord("trust", "ls", "--socket", socket.toString()))
                .contains("ci-runner", "operator", fingerprint.substring(0, 16));

        TrustServiceGrpc.newBlockingStub(overSocket()).withDeadlineAfter(20, TimeUnit.SECONDS)
                .removeTrust(RemoveTrustRequest.newBuilder().setFingerprint(fingerprint).build());
        Status after = status(() -> compute.withDeadlineAfter(20, TimeUnit.SECONDS)
                .getInstance(dev.hypervisor.api.v1.GetInstanceRequest.newBuilder().setInstanceId(id).build()));
        assertThat(after.getCode()).as("removed: refused on the connection it already had").isEqualTo(
                Status.Code.UNAUTHENTICATED);

        List<String> audit = Files.readAllLines(tmp.resolve("data/audit.log"));
        assertThat(audit).anySatisfy(l -> assertThat(l).contains("\"identity\":\"ci-runner\"",
                "\"method\":\"JoinWithToken\"", "\"fingerprint_changed\":\"" + fingerprint + "\"", "\"code\":\"OK\""));
        assertThat(audit).anySatisfy(l -> assertThat(l).contains("\"identity\":\"ci-runner\"",
                "\"method\":\"CreateInstance\"", "\"instance_id\":\"" + id + "\"", "\"request_id\":\"ci-build-17\""));
        assertThat(audit).anySatisfy(l -> assertThat(l).contains("\"identity\":\"" + System.getProperty("user.name") + "\"",
                "\"method\":\"RemoveTrust\"",
                "\"transport\":\"unix\"", "\"fingerprint_changed\":\"" + fingerprint + "\""));
    }

    @Test
    void anExpiredCertificateIsUnauthenticatedEvenWhenTrusted() throws Exception {
        startDaemon();
        SelfSigned.Pair shortLived = client("short-lived", Duration.ofSeconds(1));
        TrustServiceGrpc.newBlockingStub(overSocket()).withDeadlineAfter(20, TimeUnit.SECONDS)
                .addTrust(AddTrustRequest.newBuilder().setCertificate(Files.readString(shortLived.cert()))
                        .setRole(Role.ROLE_ADMIN).build());
        Thread.sleep(1500);

        Status expired = status(() -> ComputeServiceGrpc.newBlockingStub(tls(tmp.resolve("data/tls/server.crt"), shortLived))
                .withDeadlineAfter(20, TimeUnit.SECONDS).listInstances(ListInstancesRequest.getDefaultInstance()));
        assertThat(expired.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(expired.getDescription()).contains("CN=short-lived", "expired at");
    }

    @Test
    void sighupServesANewCertificateWhileAnOpenStreamGoesOn() throws Exception {
        startDaemon();
        Path serverCert = tmp.resolve("data/tls/server.crt");
        Path oldCert = Files.copy(serverCert, tmp.resolve("old-server.crt"));
        SelfSigned.Pair admin = client("admin", Duration.ofDays(1));
        TrustServiceGrpc.newBlockingStub(overSocket()).withDeadlineAfter(20, TimeUnit.SECONDS)
                .addTrust(AddTrustRequest.newBuilder().setCertificate(Files.readString(admin.cert()))
                        .setRole(Role.ROLE_ADMIN).build());

        BlockingQueue<InstanceEvent> events = new LinkedBlockingQueue<>();
        ManagedChannel watching = tls(oldCert, admin);
        Iterator<InstanceEvent> stream = ComputeServiceGrpc.newBlockingStub(watching)
                .watchInstance(WatchInstanceRequest.getDefaultInstance());
        Thread reader = new Thread(() -> {
            try {
                stream.forEachRemaining(events::add);
            } catch (StatusRuntimeException ended) {
                // the test's channel closing at the end
            }
        });
        reader.setDaemon(true);
        reader.start();
        ComputeServiceGrpc.newBlockingStub(overSocket()).withDeadlineAfter(20, TimeUnit.SECONDS).createInstance(create("one"));
        assertThat(events.poll(20, TimeUnit.SECONDS)).as("the stream delivers before the reload").isNotNull();

        SelfSigned.write(serverCert, tmp.resolve("data/tls/server.key"), new SelfSigned.Subject("renewed", null,
                List.of("localhost"), List.of("127.0.0.1")), SelfSigned.Purpose.SERVER, Duration.ofDays(1));
        String renewed = Certificates.fingerprint(Certificates.read(serverCert));
        new ProcessBuilder("kill", "-HUP", Long.toString(daemon.pid())).inheritIO().start().waitFor();
        await().atMost(Duration.ofSeconds(20)).until(() -> daemon.logText().contains("TLS reloaded: serving the certificate "
                + serverCert + " (SHA-256 fingerprint " + renewed + ")"));

        assertThat(ComputeServiceGrpc.newBlockingStub(tls(serverCert, admin)).withDeadlineAfter(20, TimeUnit.SECONDS)
                .listInstances(ListInstancesRequest.getDefaultInstance()).getInstancesCount())
                .as("a new connection pinned to the new certificate").isEqualTo(1);
        assertThat(status(() -> ComputeServiceGrpc.newBlockingStub(tls(oldCert, admin))
                .withDeadlineAfter(20, TimeUnit.SECONDS).listInstances(ListInstancesRequest.getDefaultInstance()))
                .getCode()).as("a new connection pinned to the old one").isEqualTo(Status.Code.UNAVAILABLE);

        ComputeServiceGrpc.newBlockingStub(overSocket()).withDeadlineAfter(20, TimeUnit.SECONDS).createInstance(create("two"));
        await("the stream opened before the reload goes on").atMost(Duration.ofSeconds(20))
                .until(() -> events.stream().anyMatch(e -> e.getInstance().getName().equals("two")));
    }
}
