package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceStatsRequest;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import dev.hypervisor.api.v1.RestartInstanceRequest;
import dev.hypervisor.api.v1.StartInstanceRequest;
import dev.hypervisor.api.v1.StopInstanceRequest;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.testkit.DaemonProcess;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real daemon as a process, exactly as shipped (containers, VMs and microVMs): every grpcurl
 * example of the spec, parsed from the spec, gets a definite answer and never UNKNOWN;
 * reflection, health and metrics answer; SIGTERM ends streams cleanly and exits 0.
 */
class SpecExamplesE2ETest {

    @TempDir
    static Path tmp;

    static DaemonProcess daemon;

    @BeforeAll
    static void start() {
        daemon = E2eDaemons.start(tmp.resolve("data"), false);
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    private static Message parse(String method, String json) throws Exception {
        Message.Builder builder = switch (method) {
            case "CreateInstance" -> CreateInstanceRequest.newBuilder();
            case "StartInstance" -> StartInstanceRequest.newBuilder();
            case "StopInstance" -> StopInstanceRequest.newBuilder();
            case "RestartInstance" -> RestartInstanceRequest.newBuilder();
            case "ListInstances" -> ListInstancesRequest.newBuilder();
            case "GetInstanceStats" -> GetInstanceStatsRequest.newBuilder();
            default -> throw new AssertionError("the spec has an example for " + method + " this test does not know");
        };
        JsonFormat.parser().merge(json, builder);
        return builder.build();
    }

    private static Status.Code call(Message request) {
        ComputeServiceGrpc.ComputeServiceBlockingStub stub = daemon.blocking();
        try {
            if (request instanceof CreateInstanceRequest r) {
                stub.createInstance(r);
            } else if (request instanceof StartInstanceRequest r) {
                stub.startInstance(r);
            } else if (request instanceof StopInstanceRequest r) {
                stub.stopInstance(r);
            } else if (request instanceof RestartInstanceRequest r) {
                stub.restartInstance(r);
            } else if (request instanceof ListInstancesRequest r) {
                stub.listInstances(r);
            } else if (request instanceof GetInstanceStatsRequest r) {
                stub.getInstanceStats(r);
            } else {
                throw new AssertionError(request.getClass());
            }
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getDescription()).as("every error carries a description").isNotBlank();
            return e.getStatus().getCode();
        }
    }

    @Test
    void everySpecExampleParsesAndGetsItsDocumentedAnswer() throws Exception {
        List<SpecExamples.Example> examples = SpecExamples.all();
        assertThat(examples).extracting(SpecExamples.Example::method).contains("CreateInstance", "StartInstance",
                "StopInstance", "RestartInstance", "ListInstances", "GetInstanceStats");
        for (SpecExamples.Example example : examples) {
            Message request = parse(example.method(), example.json());
            Status.Code code = call(request);
            Status.Code expected = switch (example.method()) {
                case "CreateInstance", "ListInstances" -> Status.Code.OK;
                default -> Status.Code.NOT_FOUND; // inst-xyz789 does not exist
            };
            assertThat(code).as(example.method() + " " + example.json()).isEqualTo(expected);
        }
    }

    @Test
    void aMicrovmWithoutAKernelOnANodeWithoutADefaultIsInvalidNamingTheField() {
        CreateInstanceRequest request = CreateInstanceRequest.newBuilder().setName("micro")
                .setType(dev.hypervisor.api.v1.InstanceType.INSTANCE_TYPE_MICROVM)
                .setSpec(dev.hypervisor.api.v1.InstanceSpec.newBuilder().setImage("busybox").setCpuCores(1)
                        .setMemoryBytes(128L << 20))
                .build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> daemon.blocking().createInstance(request))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("spec.kernel");
                });
    }

    @Test
    void aMicrovmIsAcceptedAndEndsInErrorNamingTheImageItCouldNotPull() throws Exception {
        CreateInstanceRequest request = CreateInstanceRequest.newBuilder().setName("micro-offline")
                .setType(dev.hypervisor.api.v1.InstanceType.INSTANCE_TYPE_MICROVM)
                .setSpec(dev.hypervisor.api.v1.InstanceSpec.newBuilder().setImage("busybox").setCpuCores(1)
                        .setMemoryBytes(128L << 20).setKernel(tmp.resolve("data").resolve("kernels/vmlinuz").toString()))
                .build();
        dev.hypervisor.api.v1.Instance created = daemon.blocking().createInstance(request);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> daemon.blocking()
                .getInstance(dev.hypervisor.api.v1.GetInstanceRequest.newBuilder().setInstanceId(created.getId()).build())
                .getState() == dev.hypervisor.api.v1.InstanceState.INSTANCE_STATE_ERROR);
        assertThat(daemon.blocking().getInstance(dev.hypervisor.api.v1.GetInstanceRequest.newBuilder()
                .setInstanceId(created.getId()).build()).getErrorMessage()).startsWith("image busybox: ")
                .endsWith("(failed 2 times)"); // a registry out of reach may come back: retried first
    }

    @Test
    void theSpecsContainerExampleIsAcceptedAndEndsInErrorNamingTheImageItCouldNotPull() throws Exception {
        assertThat(acceptedThenErrorOnTheImage("INSTANCE_TYPE_CONTAINER", "nginx-offline", "image nginx:latest: "))
                .endsWith("(failed 2 times)"); // a registry out of reach may come back: retried first
    }

    @Test
    void theSpecsVmExampleIsAcceptedAndEndsInErrorNamingTheImageItCouldNotPull() throws Exception {
        assertThat(acceptedThenErrorOnTheImage("INSTANCE_TYPE_VM", "vm-offline", "image ubuntu-22.04: "))
                .doesNotContain("times)"); // a loopback URL is refused for good: no retry mends it
    }

    private static String acceptedThenErrorOnTheImage(String type, String name, String errorPrefix) throws Exception {
        SpecExamples.Example example = SpecExamples.all().stream()
                .filter(e -> e.method().equals("CreateInstance") && e.json().contains(type))
                .findFirst().orElseThrow();
        CreateInstanceRequest request = ((CreateInstanceRequest) parse(example.method(), example.json())).toBuilder()
                .setName(name).build();
        dev.hypervisor.api.v1.Instance created = daemon.blocking().createInstance(request);
        assertThat(created.getState()).isEqualTo(dev.hypervisor.api.v1.InstanceState.INSTANCE_STATE_CREATING);
        // Images are out of reach: the test points docker.io and the URL aliases at a closed loopback port.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> daemon.blocking()
                .getInstance(dev.hypervisor.api.v1.GetInstanceRequest.newBuilder().setInstanceId(created.getId()).build())
                .getState() == dev.hypervisor.api.v1.InstanceState.INSTANCE_STATE_ERROR);
        assertThat(daemon.blocking().getInstance(dev.hypervisor.api.v1.GetInstanceRequest.newBuilder()
                .setInstanceId(created.getId()).build()).getErrorMessage()).startsWith(errorPrefix);
        return daemon.blocking().getInstance(dev.hypervisor.api.v1.GetInstanceRequest.newBuilder()
                .setInstanceId(created.getId()).build()).getErrorMessage();
    }

    @Test
    void listExampleReturnsOnlyVmsInOnePage() throws Exception {
        ListInstancesResponse page = daemon.blocking().listInstances(ListInstancesRequest.newBuilder()
                .setType(dev.hypervisor.api.v1.InstanceType.INSTANCE_TYPE_VM).setPageSize(20).build());
        assertThat(page.getInstancesList()).extracting(dev.hypervisor.api.v1.Instance::getType)
                .containsOnly(dev.hypervisor.api.v1.InstanceType.INSTANCE_TYPE_VM);
        assertThat(page.getInstancesCount()).isLessThan(20);
        assertThat(page.getNextPageToken()).isEmpty();
    }

    @Test
    void reflectionListsTheServiceOnV1() throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(daemon.channel())
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        answer.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() { }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        ServerReflectionResponse response = answer.get(10, TimeUnit.SECONDS);
        requests.onCompleted();
        assertThat(response.getListServicesResponse().getServiceList())
                .extracting(s -> s.getName())
                .contains("hypervisor.v1.ComputeService", "grpc.health.v1.Health",
                        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection");
    }

    @Test
    void healthServesTheComputeService() {
        HealthCheckResponse health = HealthGrpc.newBlockingStub(daemon.channel())
                .check(HealthCheckRequest.newBuilder().setService("hypervisor.v1.ComputeService").build());
        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void metricsCountCallsByMethodAndCodeAndInstancesByTypeAndState() throws Exception {
        call(StartInstanceRequest.newBuilder().setInstanceId("inst-xyz789").build());
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.metricsPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("hypervisord_grpc_requests_total{code=\"NOT_FOUND\",method=\"StartInstance\"}")
                .contains("hypervisord_grpc_request_duration_seconds_bucket")
                .contains("hypervisord_instances{state=\"RUNNING\",type=\"CONTAINER\"} 0");
    }

    @Test
    void anOversizeRequestIsRejectedBeforeAnyWork() {
        CreateInstanceRequest huge = CreateInstanceRequest.newBuilder().setName("huge")
                .setMetadata(dev.hypervisor.api.v1.Metadata.newBuilder().putAnnotations("blob", "x".repeat(5 << 20)))
                .build();
        try {
            daemon.blocking().createInstance(huge);
            throw new AssertionError("accepted a 5 MiB request");
        } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        }
    }

    @Test
    void sigtermEndsOpenWatchesCleanlyAndExitsZero(@TempDir Path own) throws Exception {
        try (DaemonProcess second = E2eDaemons.start(own.resolve("data"), false)) {
            CompletableFuture<Status> ended = new CompletableFuture<>();
            CompletableFuture<InstanceEvent> first = new CompletableFuture<>();
            second.async().watchInstance(WatchInstanceRequest.newBuilder().setSendInitial(true).build(),
                    new StreamObserver<>() {
                        @Override
                        public void onNext(InstanceEvent value) {
                            first.complete(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                            ended.complete(Status.fromThrowable(t));
                        }

                        @Override
                        public void onCompleted() {
                            ended.complete(Status.OK);
                        }
                    });
            assertThat(first.get(10, TimeUnit.SECONDS).getType()).as("the watch is open: its initial BOOKMARK came")
                    .isEqualTo(InstanceEvent.Type.BOOKMARK);
            assertThat(second.terminate()).isZero();
            Status status = ended.get(10, TimeUnit.SECONDS);
            assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(status.getDescription()).contains("shutting down");
            assertThat(second.logText()).contains("hypervisord stopped");
        }
    }
}
