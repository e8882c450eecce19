package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.PullImageRequest;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.Tmpfs;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon whose data directory (a small real tmpfs) fills up, as when a container writes
 * until the disk is full: health turns NOT_SERVING with the reason logged, new instances and
 * pulls are refused, deletes still work, and all is well again once space is freed.
 */
class DiskFullE2ETest {

    @TempDir
    Path tmp;

    @Test
    void aFullDataDirectoryIsNotServingRefusesNewWorkAndStillDeletes() throws Exception {
        try (Tmpfs disk = Tmpfs.mount(tmp.resolve("data"), "48m");
                DaemonProcess daemon = E2eDaemons.start(disk.dir(), true, "--min-free-bytes", String.valueOf(8 << 20),
                        "--disk-reserve-bytes", String.valueOf(8 << 20))) {
            assertThat(disk.dir().resolve(Daemon.RESERVE_FILE)).hasSize(8 << 20);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(daemon.blocking().createInstance(ComputeServiceTest.container("full-" + i).build()).getId());
            }
            for (String id : ids) { // ERROR, as their image cannot be pulled here: what matters is that they exist
                await().atMost(Duration.ofSeconds(20)).until(() -> settled(state(daemon, id)));
            }

            Path filler = disk.dir().resolve("filler"); // an instance writing until the disk is full
            fill(filler);
            await().atMost(Duration.ofSeconds(15)).until(() -> health(daemon) == ServingStatus.NOT_SERVING);
            assertThat(daemon.logText()).contains("is NOT_SERVING: the data directory " + disk.dir());

            assertThatThrownBy(() -> daemon.blocking().createInstance(ComputeServiceTest.container("one-more").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                        assertThat(e.getStatus().getDescription()).contains("takes no new instances now");
                    });
            assertThatThrownBy(() -> daemon.blocking().pullImage(PullImageRequest.newBuilder().setImage("busybox").build())
                    .hasNext()).isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));

            for (String id : ids) {
                daemon.blocking().deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(id).build());
            }
            for (String id : ids) {
                await().atMost(Duration.ofSeconds(30)).until(() -> gone(daemon, id));
            }

            Files.delete(filler);
            await().atMost(Duration.ofSeconds(15)).until(() -> health(daemon) == ServingStatus.SERVING);
            await().atMost(Duration.ofSeconds(15)).until(() -> Files.exists(disk.dir().resolve(Daemon.RESERVE_FILE)));
            String id = daemon.blocking().createInstance(ComputeServiceTest.container("after").build()).getId();
            await().atMost(Duration.ofSeconds(20)).until(() -> settled(state(daemon, id)));
        }
    }

    private static void fill(Path file) throws IOException {
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) {
                throw full;
            }
        }
    }

    private static InstanceState state(DaemonProcess daemon, String id) {
        return daemon.blocking().getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build()).getState();
    }

    private static boolean settled(InstanceState state) {
        return state == InstanceState.INSTANCE_STATE_RUNNING || state == InstanceState.INSTANCE_STATE_ERROR;
    }

    private static boolean gone(DaemonProcess daemon, String id) {
        try {
            state(daemon, id);
            return false;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() == Status.Code.NOT_FOUND;
        }
    }

    private static ServingStatus health(DaemonProcess daemon) {
        return HealthGrpc.newBlockingStub(daemon.channel()).check(HealthCheckRequest.newBuilder()
                .setService(Daemon.SERVICE).build()).getStatus();
    }
}
