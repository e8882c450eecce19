package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceStatsRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.ListImagesRequest;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import dev.hypervisor.api.v1.Metadata;
import dev.hypervisor.api.v1.PullImageRequest;
import dev.hypervisor.api.v1.RestartInstanceRequest;
import dev.hypervisor.api.v1.StartInstanceRequest;
import dev.hypervisor.api.v1.StopInstanceRequest;
import dev.hypervisor.api.v1.TerminalSize;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.core.driver.TestDriver;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service through real stubs, on an in-process server over a real SQLite file. */
class ComputeServiceTest {

    @TempDir
    Path dataDir;

    private final TestDriver containers = new TestDriver(dev.hypervisor.core.instance.InstanceType.CONTAINER);
    private InProcessDaemon hv;

    @BeforeEach
    void start() {
        hv = new InProcessDaemon(dataDir, List.of(containers));
    }

    @AfterEach
    void stop() {
        hv.close();
    }

    static CreateInstanceRequest.Builder container(String name) {
        return CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage("nginx:latest").setCpuCores(1).setMemoryBytes(536870912)
                        .addAllCommand(List.of("nginx", "-g", "daemon off;")));
    }

    private Instance awaitState(String id, InstanceState state) {
        await().atMost(Duration.ofSeconds(10)).until(() -> get(id).getState() == state);
        return get(id);
    }

    private Instance get(String id) {
        return hv.blocking.getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build());
    }

    private static Status.Code codeOf(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        return Status.Code.OK;
    }

    @Test
    void aStepBeingRetriedShowsItsAttemptsAndLastErrorUntilItSucceeds() {
        containers.failStartsPassingly("loop device busy", 1);
        String id = hv.blocking.createInstance(container("web").build()).getId();
        await().atMost(Duration.ofSeconds(10)).until(() -> get(id).getAttempts() == 1);
        Instance retrying = get(id);
        assertThat(retrying.getState()).isEqualTo(InstanceState.INSTANCE_STATE_STARTING);
        assertThat(retrying.getLastError()).isEqualTo("loop device busy");
        Instance running = awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        assertThat(running.getAttempts()).isZero();
        assertThat(running.getLastError()).isEmpty();
    }

    @Test
    void createReturnsCreatingWithEveryOutputField() {
        Instance created = hv.blocking.createInstance(container("nginx-container").build());
        assertThat(created.getState()).isEqualTo(InstanceState.INSTANCE_STATE_CREATING);
        assertThat(created.getId()).startsWith("inst-");
        assertThat(created.getNodeId()).isEqualTo("node-1");
        assertThat(created.getCreatedAt().getSeconds()).isPositive();
        assertThat(created.getSpec().getCommandList()).containsExactly("nginx", "-g", "daemon off;");
        assertThat(created.getSpec().getNetwork().getNetworkId()).isEqualTo("default");
        Instance running = awaitState(created.getId(), InstanceState.INSTANCE_STATE_RUNNING);
        assertThat(running.getIpAddress()).isNotEmpty();
        assertThat(running.getUpdatedAt().getSeconds() * 1_000_000_000L + running.getUpdatedAt().getNanos())
                .isGreaterThan(created.getUpdatedAt().getSeconds() * 1_000_000_000L + created.getUpdatedAt().getNanos());
    }

    @Test
    void aTypeWithoutARuntimeIsFailedPreconditionNamingIt() {
        CreateInstanceRequest vm = container("vm").setType(InstanceType.INSTANCE_TYPE_VM)
                .setSpec(InstanceSpec.newBuilder().setImage("ubuntu-22.04")).build();
        assertThatThrownBy(() -> hv.blocking.createInstance(vm))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).isEqualTo("no runtime for INSTANCE_TYPE_VM on node node-1");
                });
    }

    @Test
    void badFieldsAreInvalidArgumentNamingTheField() {
        assertThatThrownBy(() -> hv.blocking.createInstance(container("Bad_Name").build()))
                .hasMessageContaining("INVALID_ARGUMENT: name:");
        assertThatThrownBy(() -> hv.blocking.createInstance(container("x").clearType().build()))
                .hasMessageContaining("INVALID_ARGUMENT: type:");
        assertThatThrownBy(() -> hv.blocking.createInstance(container("x").setTypeValue(42).build()))
                .hasMessageContaining("INVALID_ARGUMENT: type: unknown InstanceType value 42");
        assertThatThrownBy(() -> hv.blocking.createInstance(container("x").clearSpec().build()))
                .hasMessageContaining("INVALID_ARGUMENT: spec:");
        assertThatThrownBy(() -> hv.blocking.listInstances(ListInstancesRequest.newBuilder().setStateValue(99).build()))
                .hasMessageContaining("INVALID_ARGUMENT: state:");
        assertThatThrownBy(() -> hv.blocking.getInstance(GetInstanceRequest.getDefaultInstance()))
                .hasMessageContaining("INVALID_ARGUMENT: instance_id:");
        assertThatThrownBy(() -> hv.blocking.stopInstance(StopInstanceRequest.newBuilder()
                .setInstanceId("inst-x").setTimeoutSeconds(-1).build()))
                .hasMessageContaining("INVALID_ARGUMENT: timeout_seconds:");
    }

    @Test
    void missingInstancesAreNotFoundAndDuplicateNamesAlreadyExist() {
        assertThat(codeOf(() -> get("inst-xyz789"))).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(codeOf(() -> hv.blocking.startInstance(StartInstanceRequest.newBuilder()
                .setInstanceId("inst-xyz789").build()))).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(codeOf(() -> hv.blocking.deleteInstance(DeleteInstanceRequest.newBuilder()
                .setInstanceId("inst-xyz789").build()))).isEqualTo(Status.Code.NOT_FOUND);
        hv.blocking.createInstance(container("web").build());
        assertThat(codeOf(() -> hv.blocking.createInstance(container("web").build())))
                .isEqualTo(Status.Code.ALREADY_EXISTS);
    }

    @Test
    void lifecycleOverTheWire() {
        String id = hv.blocking.createInstance(container("web").build()).getId();
        awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        assertThat(hv.blocking.restartInstance(RestartInstanceRequest.newBuilder().setInstanceId(id).build())
                .getState()).isEqualTo(InstanceState.INSTANCE_STATE_RESTARTING);
        awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        assertThat(hv.blocking.stopInstance(StopInstanceRequest.newBuilder().setInstanceId(id).setForce(false).build())
                .getState()).isEqualTo(InstanceState.INSTANCE_STATE_STOPPING);
        awaitState(id, InstanceState.INSTANCE_STATE_STOPPED);
        assertThatThrownBy(() -> hv.blocking.restartInstance(RestartInstanceRequest.newBuilder().setInstanceId(id).build()))
                .hasMessageContaining("FAILED_PRECONDITION").hasMessageContaining("STOPPED");
        hv.blocking.startInstance(StartInstanceRequest.newBuilder().setInstanceId(id).build());
        awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        hv.blocking.deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(id).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> codeOf(() -> get(id)) == Status.Code.NOT_FOUND);
    }

    @Test
    void aRetryWithTheSameRequestIdActsOnceAlsoAfterARestart() {
        Instance first = hv.blocking.createInstance(container("web").setRequestId("r-1").build());
        hv.close();
        hv = new InProcessDaemon(dataDir, List.of(containers));
        Instance again = hv.blocking.createInstance(container("web").setRequestId("r-1").build());
        assertThat(again.getId()).isEqualTo(first.getId());
        assertThat(hv.blocking.listInstances(ListInstancesRequest.getDefaultInstance()).getInstancesCount()).isEqualTo(1);
        assertThatThrownBy(() -> hv.blocking.createInstance(container("other").setRequestId("r-1").build()))
                .hasMessageContaining("INVALID_ARGUMENT: request_id:");
    }

    @Test
    void listFiltersAndPagesWithOpaqueTokens() {
        for (int i = 0; i < 5; i++) {
            hv.blocking.createInstance(container("web-" + i)
                    .setMetadata(Metadata.newBuilder().putLabels("tier", i % 2 == 0 ? "front" : "back")).build());
        }
        ListInstancesRequest front = ListInstancesRequest.newBuilder().putLabels("tier", "front").setPageSize(2).build();
        ListInstancesResponse page1 = hv.blocking.listInstances(front);
        assertThat(page1.getInstancesCount()).isEqualTo(2);
        ListInstancesResponse page2 = hv.blocking.listInstances(front.toBuilder().setPageToken(page1.getNextPageToken()).build());
        assertThat(page2.getInstancesCount()).isEqualTo(1);
        assertThat(page2.getNextPageToken()).isEmpty();
        assertThat(hv.blocking.listInstances(ListInstancesRequest.newBuilder()
                .setType(InstanceType.INSTANCE_TYPE_VM).build()).getInstancesCount()).isZero();
        assertThat(codeOf(() -> hv.blocking.listInstances(front.toBuilder().setPageToken("nope").build())))
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> hv.blocking.listInstances(front.toBuilder().setPageSize(-1).build())))
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void watchStreamsChangesInOrderAndEndsWithDeleted() {
        Iterator<InstanceEvent> events = hv.blocking.withDeadlineAfter(20, java.util.concurrent.TimeUnit.SECONDS)
                .watchInstance(WatchInstanceRequest.newBuilder().setSendInitial(true).build());
        assertThat(events.next().getType()).isEqualTo(InstanceEvent.Type.BOOKMARK);
        String id = hv.blocking.createInstance(container("web").build()).getId();
        awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        hv.blocking.deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(id).setForce(true).build());
        List<InstanceState> states = new java.util.ArrayList<>();
        long lastRevision = 0;
        while (true) {
            InstanceEvent event = events.next();
            if (event.getType() == InstanceEvent.Type.BOOKMARK) {
                continue;
            }
            assertThat(event.getRevision()).isGreaterThan(lastRevision);
            lastRevision = event.getRevision();
            states.add(event.getInstance().getState());
            if (event.getType() == InstanceEvent.Type.DELETED) {
                assertThat(event.getPreviousState()).isEqualTo(InstanceState.INSTANCE_STATE_STOPPING);
                break;
            }
        }
        assertThat(states).containsExactly(InstanceState.INSTANCE_STATE_CREATING, InstanceState.INSTANCE_STATE_STARTING,
                InstanceState.INSTANCE_STATE_RUNNING, InstanceState.INSTANCE_STATE_STOPPING,
                InstanceState.INSTANCE_STATE_DELETED);
    }

    @Test
    void watchFromACompactedRevisionIsOutOfRange() {
        String id = hv.blocking.createInstance(container("web").build()).getId();
        awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        hv.store.compact(hv.store.revision());
        Iterator<InstanceEvent> events = hv.blocking.watchInstance(WatchInstanceRequest.newBuilder().setAfterRevision(1).build());
        assertThatThrownBy(events::next).hasMessageContaining("OUT_OF_RANGE");
    }

    @Test
    void statsComeFromTheDriverOfARunningInstance() {
        java.util.concurrent.CountDownLatch gate = containers.holdStarts();
        String id = hv.blocking.createInstance(container("web").build()).getId();
        awaitState(id, InstanceState.INSTANCE_STATE_STARTING);
        assertThatThrownBy(() -> hv.blocking.getInstanceStats(GetInstanceStatsRequest.newBuilder().setInstanceId(id).build()))
                .hasMessageContaining("FAILED_PRECONDITION").hasMessageContaining("STARTING");
        gate.countDown();
        awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        var stats = hv.blocking.getInstanceStats(GetInstanceStatsRequest.newBuilder().setInstanceId(id).build());
        assertThat(stats.getInstanceId()).isEqualTo(id);
        assertThat(stats.getCpuUsagePercent()).isEqualTo(12.5f);
        assertThat(stats.getMemoryLimitBytes()).isEqualTo(536870912);
        assertThat(stats.getSampleTime().getSeconds()).isPositive();
    }

    @Test
    void aRuntimeThatCannotAnswerIsUnavailableNotInternal() {
        String id = hv.blocking.createInstance(container("web").build()).getId();
        awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        containers.failRuntimeAccess("cgroup /hypervisord/" + id + " is gone");
        try {
            assertThatThrownBy(() -> hv.blocking.getInstanceStats(GetInstanceStatsRequest.newBuilder().setInstanceId(id).build()))
                    .hasMessage("UNAVAILABLE: stats of " + id + ": cgroup /hypervisord/" + id + " is gone");
        } finally {
            containers.failRuntimeAccess(null);
        }
    }

    @Test
    void consoleAttachesSendsInputAndResizesAndDetachLeavesTheInstanceRunning() throws Exception {
        String id = hv.blocking.createInstance(container("web").build()).getId();
        awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        ConsoleViewer viewer = new ConsoleViewer();
        StreamObserver<ConsoleInput> input = hv.async.attachConsole(viewer);
        input.onNext(ConsoleInput.newBuilder().setInstanceId(id)
                .setResize(TerminalSize.newBuilder().setRows(40).setCols(120)).build());
        input.onNext(ConsoleInput.newBuilder().setData(ByteString.copyFromUtf8("echo hi\n")).build());
        await().atMost(Duration.ofSeconds(5)).until(() -> viewer.text().contains("echo hi"));
        assertThat(viewer.text()).startsWith("welcome").contains("resized 40x120");
        input.onCompleted();
        await().atMost(Duration.ofSeconds(5)).until(() -> containers.calls().contains("detach " + id));
        assertThat(viewer.error()).isNull();
        assertThat(get(id).getState()).isEqualTo(InstanceState.INSTANCE_STATE_RUNNING);
    }

    @Test
    void consoleOfAMissingInstanceIsNotFound() throws Exception {
        ConsoleViewer viewer = new ConsoleViewer();
        StreamObserver<ConsoleInput> input = hv.async.attachConsole(viewer);
        input.onNext(ConsoleInput.newBuilder().setInstanceId("inst-missing").build());
        await().atMost(Duration.ofSeconds(5)).until(() -> viewer.error() != null);
        assertThat(Status.fromThrowable(viewer.error()).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void imageCallsWithoutAnImageStoreAreFailedPrecondition() {
        assertThatThrownBy(() -> hv.blocking.listImages(ListImagesRequest.getDefaultInstance()))
                .hasMessageContaining("FAILED_PRECONDITION: no image store on node node-1");
        Iterator<?> progress = hv.blocking.pullImage(PullImageRequest.newBuilder().setImage("busybox").build());
        assertThatThrownBy(progress::hasNext).hasMessageContaining("FAILED_PRECONDITION");
    }
}
