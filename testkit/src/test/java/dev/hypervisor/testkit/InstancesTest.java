package dev.hypervisor.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Empty;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client's waits end when the daemon says so, and deleteAll leaves nothing it could delete. */
class InstancesTest {

    /** A daemon whose deletes take a few GetInstance calls to finish, as a real one's take a reconcile. */
    private static final class SlowDeletes extends ComputeServiceGrpc.ComputeServiceImplBase {
        final Map<String, Integer> instances = new ConcurrentHashMap<>(); // id -> GetInstance calls left until gone
        final Set<String> refuseDelete = ConcurrentHashMap.newKeySet();
        final Set<String> neverGone = ConcurrentHashMap.newKeySet();

        @Override
        public void createInstance(CreateInstanceRequest request, StreamObserver<Instance> out) {
            instances.put(request.getName(), -1);
            reply(out, Instance.newBuilder().setId(request.getName()).setState(InstanceState.INSTANCE_STATE_CREATING).build());
        }

        @Override
        public void getInstance(GetInstanceRequest request, StreamObserver<Instance> out) {
            String id = request.getInstanceId();
            Integer left = instances.computeIfPresent(id, (k, n) -> n > 0 ? n - 1 : n);
            if (left == null || left == 0) {
                instances.remove(id);
                out.onError(Status.NOT_FOUND.withDescription(id).asRuntimeException());
                return;
            }
            reply(out, Instance.newBuilder().setId(id).setState(left < 0 ? InstanceState.INSTANCE_STATE_RUNNING
                    : InstanceState.INSTANCE_STATE_STOPPING).setErrorMessage("still here").build());
        }

        @Override
        public void deleteInstance(DeleteInstanceRequest request, StreamObserver<Empty> out) {
            String id = request.getInstanceId();
            if (refuseDelete.contains(id)) {
                out.onError(Status.UNAVAILABLE.withDescription("runtime down").asRuntimeException());
            } else if (!instances.containsKey(id)) {
                out.onError(Status.NOT_FOUND.asRuntimeException());
            } else {
                instances.put(id, neverGone.contains(id) ? Integer.MAX_VALUE : 3);
                reply(out, Empty.getDefaultInstance());
            }
        }

        @Override
        public void listInstances(ListInstancesRequest request, StreamObserver<ListInstancesResponse> out) {
            ListInstancesResponse.Builder page = ListInstancesResponse.newBuilder();
            instances.keySet().forEach(id -> page.addInstances(Instance.newBuilder().setId(id)));
            reply(out, page.build());
        }

        private static <T> void reply(StreamObserver<T> out, T value) {
            out.onNext(value);
            out.onCompleted();
        }
    }

    private final SlowDeletes daemon = new SlowDeletes();
    private Server server;
    private ManagedChannel channel;
    private Instances instances;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor().addService(daemon).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        instances = new Instances(() -> channel, Duration.ofMillis(500));
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    private String create(String name) {
        return instances.create(CreateInstanceRequest.newBuilder().setName(name).build());
    }

    @Test
    void deleteAllReturnsOnlyOnceEveryInstanceIsGone() {
        List<String> ids = List.of(create("a"), create("b"), create("c"));

        instances.deleteAll(ids, Duration.ofSeconds(5));

        assertThat(daemon.instances).isEmpty();
        assertThat(instances.live()).isEmpty();
    }

    @Test
    void anInstanceAlreadyGoneCountsAsDeleted() {
        String kept = create("kept");

        instances.deleteAll(List.of("never-existed", kept), Duration.ofSeconds(5));

        assertThat(daemon.instances).isEmpty();
    }

    @Test
    void deleteAllTriesEveryInstanceAndNamesEachOneLeft() {
        create("refused");
        create("stuck");
        create("fine");
        daemon.refuseDelete.add("refused");
        daemon.neverGone.add("stuck");

        assertThatThrownBy(() -> instances.deleteAll(List.of("refused", "stuck", "fine"), Duration.ofMillis(300)))
                .hasMessageContaining("refused=DeleteInstance UNAVAILABLE: runtime down").hasMessageContaining("[stuck]");
        assertThat(daemon.instances).containsOnlyKeys("refused", "stuck");
        assertThat(instances.live()).containsExactlyInAnyOrder("refused", "stuck");
    }

    @Test
    void deleteAllWithoutIdsDeletesWhatTheDaemonLists() {
        daemon.instances.put("made-elsewhere", -1);

        instances.deleteAll(Duration.ofSeconds(5));

        assertThat(daemon.instances).isEmpty();
    }

    @Test
    void awaitStateFailsAfterItsTimeoutNamingTheStateSeen() {
        String id = create("running");

        assertThat(instances.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING).getId()).isEqualTo(id);
        assertThatThrownBy(() -> instances.awaitState(id, InstanceState.INSTANCE_STATE_STOPPED))
                .hasMessageContaining("INSTANCE_STATE_RUNNING, not INSTANCE_STATE_STOPPED").hasMessageContaining("still here");
    }
}
