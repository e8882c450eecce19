package dev.hypervisor.bench;

import com.google.common.util.concurrent.ListenableFuture;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * Figure 3's gRPC floor: the same clients and calls against a bare grpc-java server in this JVM
 * whose CreateInstance answers at once with an instance of the daemon's size (no validation,
 * store, reconciler or interceptors). No daemon built on grpc-java can create faster than that here.
 */
record BareCreateFloor(int clients, int channels) {

    /** Creates answered per second over {@code seconds}, after an unmeasured run of up to 10 s. */
    double run(double seconds) throws Exception {
        Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new ComputeServiceGrpc.ComputeServiceImplBase() {
                    @Override
                    public void createInstance(CreateInstanceRequest request, StreamObserver<Instance> response) {
                        response.onNext(Instance.newBuilder().setId("0123456789abcdef").setName(request.getName())
                                .setType(request.getType()).setSpec(request.getSpec()).setMetadata(request.getMetadata())
                                .setNodeId(Populate.NODE_ID).setState(InstanceState.INSTANCE_STATE_CREATING).build());
                        response.onCompleted();
                    }
                }).build().start();
        List<ManagedChannel> open = IntStream.range(0, channels).mapToObj(i -> Grpc.newChannelBuilder(
                "127.0.0.1:" + server.getPort(), InsecureChannelCredentials.create()).build()).toList();
        try {
            List<ComputeServiceGrpc.ComputeServiceFutureStub> stubs = open.stream()
                    .map(ComputeServiceGrpc::newFutureStub).toList();
            IntFunction<ListenableFuture<?>> call = n -> stubs.get(n % stubs.size())
                    .withDeadlineAfter(30, TimeUnit.SECONDS).createInstance(CreateThroughputBench.request("bare-" + n));
            ClosedLoop.run("bare CreateInstance", clients, Math.min(10, seconds), call);
            ClosedLoop.Result result = ClosedLoop.run("bare CreateInstance", clients, seconds, call);
            return result.completed() / result.seconds();
        } finally {
            open.forEach(ManagedChannel::shutdownNow);
            server.shutdownNow();
        }
    }
}
