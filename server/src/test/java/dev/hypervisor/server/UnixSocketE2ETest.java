package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.testkit.DaemonProcess;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's unix socket: mode 0660 in its group, one daemon per socket, and each caller known
 * by the kernel's account of it: root and the socket's group are admin, anyone else is refused.
 */
class UnixSocketE2ETest {

    @TempDir
    Path tmp;

    @Test
    void servesTheApiOnASocketOnlyItsGroupCanOpen() throws Exception {
        Path socket = tmp.resolve("run/hv.sock");
        try (DaemonProcess daemon = E2eDaemons.start(tmp.resolve("data"), true, "--socket", socket.toString(),
                "--socket-group", "adm")) {
            PosixFileAttributes attributes = Files.readAttributes(socket, PosixFileAttributes.class);
            assertThat(PosixFilePermissions.toString(attributes.permissions())).isEqualTo("rw-rw----");
            assertThat(attributes.group().getName()).isEqualTo("adm");
            assertThat(daemon.logText()).contains("socket " + socket);

            ManagedChannel channel = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build();
            try {
                var api = ComputeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
                String id = api.createInstance(CreateInstanceRequest.newBuilder().setName("over-the-socket")
                        .setType(InstanceType.INSTANCE_TYPE_CONTAINER).setSpec(InstanceSpec.newBuilder().setImage("busybox"))
                        .build()).getId();
                assertThat(api.listInstances(ListInstancesRequest.getDefaultInstance()).getInstancesList())
                        .anySatisfy(i -> assertThat(i.getId()).isEqualTo(id));
            } finally {
                channel.shutdownNow();
            }

            assertThatThrownBy(() -> E2eDaemons.start(tmp.resolve("data2"), true, "--socket", socket.toString()))
                    .hasMessageContaining("exited with 1").hasMessageContaining("is served by another hypervisord");
        }
        assertThat(socket).as("removed when the daemon stops").doesNotExist();
    }

    @Test
    void theKernelNamesEachCallerAndOnlyRootAndTheSocketGroupAreLetIn() throws Exception {
        assertThat(Path.of("/usr/bin/setpriv")).as("setpriv (util-linux, ./test.sh installs it) runs a call as another user")
                .exists();
        assertThat(Path.of("/usr/bin/curl")).as("curl (./test.sh installs it) speaks HTTP/2 over a unix socket").exists();
        int adm = UnixPeer.groupId("adm").orElseThrow(() -> new AssertionError("Debian has a group adm"));
        // Another user must reach the socket: a directory of its own under /tmp, open to all for reading.
        Path dir = Files.createTempDirectory("hv-peers");
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path socket = dir.resolve("hv.sock");
            Path create = grpcFrame(dir.resolve("create.bin"), CreateInstanceRequest.newBuilder().setName("by-nobody")
                    .setType(InstanceType.INSTANCE_TYPE_CONTAINER).setSpec(InstanceSpec.newBuilder().setImage("busybox"))
                    .build().toByteArray());
            Path list = grpcFrame(dir.resolve("list.bin"), ListInstancesRequest.getDefaultInstance().toByteArray());
            try (DaemonProcess daemon = E2eDaemons.start(tmp.resolve("data"), true, "--socket", socket.toString(),
                    "--socket-group", "adm")) {
                assertThat(callAs(socket, "CreateInstance", create, "--regid=" + adm, "--clear-groups"))
                        .as("the socket's group as primary group").contains("grpc-status: 0");
                assertThat(callAs(socket, "ListInstances", list, "--regid=65534", "--groups=" + adm))
                        .as("the socket's group among the supplementary ones").contains("grpc-status: 0");
                assertThat(callAs(socket, "ListInstances", list, "--regid=65534", "--clear-groups"))
                        .as("the file mode keeps others out").doesNotContain("grpc-status");

                Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
                assertThat(callAs(socket, "ListInstances", list, "--regid=65534", "--clear-groups"))
                        .as("a socket opened to all by hand still lets only its group in")
                        .contains("grpc-status: 16").contains("user nobody (uid 65534")
                        .contains("only root and members of the group adm");

                assertThat(Files.readAllLines(tmp.resolve("data/audit.log"))).anySatisfy(line -> assertThat(line)
                        .contains("\"identity\":\"nobody\"", "\"transport\":\"unix\"", "\"method\":\"CreateInstance\"",
                                "\"instance_name\":\"by-nobody\"", "\"code\":\"OK\""));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** One gRPC call by curl as uid 65534 with the given setpriv group options: the response's headers and trailers. */
    private static String callAs(Path socket, String method, Path body, String... groups) throws Exception {
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=65534"));
        command.addAll(List.of(groups));
        command.addAll(List.of("curl", "-sS", "--max-time", "20", "--http2-prior-knowledge", "--unix-socket",
                socket.toString(), "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary",
                "@" + body, "-D", "-", "-o", "/dev/null", "http://localhost/hypervisor.v1.ComputeService/" + method));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("curl finished").isTrue();
        return output;
    }

    /** A message in gRPC's length-prefixed framing, uncompressed, written where another user can read it. */
    private static Path grpcFrame(Path file, byte[] message) throws java.io.IOException {
        byte[] frame = java.nio.ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message)
                .array();
        Files.write(file, frame);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    @Test
    void theSocketOptionDefaultsToRunHypervisordForRootOnly() {
        assertThat(UnixSocket.path("default", true)).isEqualTo(Path.of("/run/hypervisord/hypervisord.sock"));
        assertThat(UnixSocket.path("default", false)).isNull();
        assertThat(UnixSocket.path("off", true)).isNull();
        assertThat(UnixSocket.path("/tmp/x.sock", false)).isEqualTo(Path.of("/tmp/x.sock"));
    }
}
