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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's unix socket: mode 0660 in its group, admin for whoever connects, one daemon per socket. */
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
    void theSocketOptionDefaultsToRunHypervisordForRootOnly() {
        assertThat(UnixSocket.path("default", true)).isEqualTo(Path.of("/run/hypervisord/hypervisord.sock"));
        assertThat(UnixSocket.path("default", false)).isNull();
        assertThat(UnixSocket.path("off", true)).isNull();
        assertThat(UnixSocket.path("/tmp/x.sock", false)).isEqualTo(Path.of("/tmp/x.sock"));
    }
}
