package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.AddTrustRequest;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.Role;
import dev.hypervisor.api.v1.TrustServiceGrpc;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.tls.SelfSigned;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every RPC the daemon serves, called by every kind of caller, on one real daemon with TLS on
 * TCP and a unix socket: no certificate, a certificate nobody trusts, a trusted one that has
 * expired, a viewer, an operator, an admin, and whoever may open the socket. The expected
 * outcome of each of the cells comes from one table, {@link #NEEDS}, written from the roles
 * the issue defines (not from the code under test). Each call sends an empty request: one that
 * gets past authorization ends in whatever the handler makes of it, which the test tells from
 * a refusal by the refusal's own words.
 */
class AuthorizationMatrixE2ETest {

    /** The least role each method needs; "any" is any caller the daemon knows, "certificate" any with a certificate. */
    private static final Map<String, String> NEEDS = new LinkedHashMap<>();

    static {
        for (String read : List.of("GetInstance", "ListInstances", "WatchInstance", "GetInstanceStats", "ListImages")) {
            NEEDS.put("hypervisor.v1.ComputeService/" + read, "viewer");
        }
        for (String op : List.of("CreateInstance", "DeleteInstance", "StartInstance", "StopInstance", "RestartInstance",
                "AttachConsole", "PullImage", "RemoveImage")) {
            NEEDS.put("hypervisor.v1.ComputeService/" + op, "operator");
        }
        for (String trust : List.of("ListTrust", "AddTrust", "RemoveTrust", "CreateJoinToken")) {
            NEEDS.put("hypervisor.v1.TrustService/" + trust, "admin");
        }
        NEEDS.put("hypervisor.v1.TrustService/JoinWithToken", "certificate");
        NEEDS.put("grpc.health.v1.Health/Check", "any");
        NEEDS.put("grpc.health.v1.Health/Watch", "any");
        NEEDS.put("grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "any");
        NEEDS.put("grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "any");
    }

    private static final List<String> ROLES = List.of("viewer", "operator", "admin");

    @TempDir
    static Path tmp;

    private static DaemonProcess daemon;
    private static final Map<String, ManagedChannel> callers = new LinkedHashMap<>();
    private static final List<MethodDescriptor<?, ?>> methods = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path socket = tmp.resolve("hv.sock");
        daemon = E2eDaemons.start(tmp.resolve("data"), true, "--tls", "--socket", socket.toString());
        Path serverCert = tmp.resolve("data/tls/server.crt");
        callers.put("socket", Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build());
        var trust = TrustServiceGrpc.newBlockingStub(callers.get("socket"));

        callers.put("no certificate", tls(serverCert, null));
        callers.put("untrusted", tls(serverCert, client("stranger", Duration.ofDays(1))));
        SelfSigned.Pair expired = client("expired", Duration.ofSeconds(1));
        trust.withDeadlineAfter(20, TimeUnit.SECONDS).addTrust(AddTrustRequest.newBuilder()
                .setCertificate(Files.readString(expired.cert())).setRole(Role.ROLE_ADMIN).build());
        callers.put("expired", tls(serverCert, expired));
        for (String role : ROLES) {
            SelfSigned.Pair pair = client(role + "-user", Duration.ofDays(1));
            trust.withDeadlineAfter(20, TimeUnit.SECONDS).addTrust(AddTrustRequest.newBuilder()
                    .setCertificate(Files.readString(pair.cert())).setName(role + "-user")
                    .setRole(Role.valueOf("ROLE_" + role.toUpperCase())).build());
            callers.put(role, tls(serverCert, pair));
        }
        Thread.sleep(1200); // past the expired certificate's not-after

        Stream.of(ComputeServiceGrpc.getServiceDescriptor(), TrustServiceGrpc.getServiceDescriptor(),
                HealthGrpc.getServiceDescriptor(), io.grpc.reflection.v1.ServerReflectionGrpc.getServiceDescriptor(),
                io.grpc.reflection.v1alpha.ServerReflectionGrpc.getServiceDescriptor())
                .forEach(service -> methods.addAll(service.getMethods()));
    }

    @AfterAll
    static void stop() {
        callers.values().forEach(ManagedChannel::shutdownNow);
        if (daemon != null) {
            daemon.close();
        }
    }

    private static SelfSigned.Pair client(String name, Duration validity) {
        return SelfSigned.write(tmp.resolve(name + ".crt"), tmp.resolve(name + ".key"), SelfSigned.Subject.named(name),
                SelfSigned.Purpose.CLIENT, validity);
    }

    private static ManagedChannel tls(Path serverCert, SelfSigned.Pair client) {
        try {
            TlsChannelCredentials.Builder creds = TlsChannelCredentials.newBuilder().trustManager(serverCert.toFile());
            if (client != null) {
                creds.keyManager(client.cert().toFile(), client.key().toFile());
            }
            ChannelCredentials built = creds.build();
            return Grpc.newChannelBuilder("localhost:" + daemon.port(), built).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What {@code caller} must get from a method that {@code needs} this. */
    private static String expected(String caller, String method, String needs) {
        String bare = method.substring(method.lastIndexOf('/') + 1);
        return switch (caller) {
            case "socket" -> "passes";
            case "no certificate" -> "UNAUTHENTICATED needs a client certificate";
            case "expired" -> "UNAUTHENTICATED expired";
            case "untrusted" -> needs.equals("certificate") ? "passes" : "UNAUTHENTICATED not trusted";
            default -> needs.equals("any") || needs.equals("certificate")
                    || ROLES.indexOf(caller) >= ROLES.indexOf(needs) ? "passes"
                    : "PERMISSION_DENIED " + bare + " needs the " + needs + " role; " + caller + "-user is " + caller;
        };
    }

    /** A status as the matrix names it: a refusal by its words, anything the handler answered as "passes". */
    private static String outcome(Status status) {
        String description = status.getDescription() == null ? "" : status.getDescription();
        if (status.getCode() == Status.Code.UNAUTHENTICATED) {
            if (description.contains("needs a client certificate")) {
                return "UNAUTHENTICATED needs a client certificate";
            }
            if (description.contains("expired at")) {
                return "UNAUTHENTICATED expired";
            }
            if (description.contains("is not trusted here")) {
                return "UNAUTHENTICATED not trusted";
            }
        }
        if (status.getCode() == Status.Code.PERMISSION_DENIED && description.contains(" role; ")) {
            return "PERMISSION_DENIED " + description;
        }
        assertThat(status.getCode()).as("a handler's answer: %s", status)
                .isNotIn(Status.Code.UNKNOWN, Status.Code.INTERNAL, Status.Code.UNAVAILABLE);
        return "passes";
    }

    @Test
    void theTableCoversEveryMethodServed() {
        assertThat(new TreeSet<>(NEEDS.keySet()))
                .isEqualTo(new TreeSet<>(methods.stream().map(MethodDescriptor::getFullMethodName).toList()));
    }

    @Test
    void everyCallerGetsWhatItsRoleAllowsFromEveryMethod() {
        List<String> wrong = new ArrayList<>();
        int cells = 0;
        for (MethodDescriptor<?, ?> method : methods) {
            String name = method.getFullMethodName();
            Duration deadline = method.getType() == MethodDescriptor.MethodType.UNARY ? Duration.ofSeconds(10)
                    : Duration.ofSeconds(1);
            for (Map.Entry<String, ManagedChannel> caller : callers.entrySet()) {
                String want = expected(caller.getKey(), name, NEEDS.getOrDefault(name, "admin"));
                Status status = RawCalls.call(caller.getValue(), method, new byte[0], deadline);
                String got = outcome(status);
                cells++;
                if (!got.equals(want)) {
                    wrong.add(caller.getKey() + " -> " + name + ": want " + want + ", got " + got + " (" + status + ")");
                }
            }
        }
        assertThat(wrong).as("cells that differ from the table").isEmpty();
        assertThat(cells).isEqualTo(NEEDS.size() * 7);
    }
}
