package dev.hypervisor.server;

import com.google.protobuf.Empty;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.ConsoleOutput;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceStatsRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceStats;
import dev.hypervisor.api.v1.ListImagesRequest;
import dev.hypervisor.api.v1.ListImagesResponse;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import dev.hypervisor.api.v1.PullImageProgress;
import dev.hypervisor.api.v1.PullImageRequest;
import dev.hypervisor.api.v1.RemoveImageRequest;
import dev.hypervisor.api.v1.RestartInstanceRequest;
import dev.hypervisor.api.v1.StartInstanceRequest;
import dev.hypervisor.api.v1.StopInstanceRequest;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.core.driver.ConsoleBacklog;
import dev.hypervisor.core.image.ImageQuery;
import dev.hypervisor.core.usecase.InstanceQueries;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;

/**
 * The gRPC face of the core: each handler converts the request, calls one use case and
 * converts the answer; failures go through {@link StatusMapper}. Streams live in
 * {@link WatchStream}, {@link ConsoleStream} and {@link PullStream}.
 */
final class ComputeService implements ComputeServiceGrpc.AsyncService, BindableService {

    private final UseCases useCases;
    private final StreamRegistry streams;
    private final WireEvents wireEvents = new WireEvents();

    ComputeService(UseCases useCases, StreamRegistry streams) {
        this.useCases = useCases;
        this.streams = streams;
    }

    @Override
    public void createInstance(CreateInstanceRequest request, StreamObserver<Instance> response) {
        Unary.answer(response, () -> ApiMapper.toProto(useCases.create().execute(ApiMapper.toCommand(request))));
    }

    @Override
    public void deleteInstance(DeleteInstanceRequest request, StreamObserver<Empty> response) {
        Unary.answer(response, () -> {
            useCases.change().delete(request.getInstanceId(), request.getForce(), request.getRequestId(),
                    Fingerprint.ofRequest(request));
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void getInstance(GetInstanceRequest request, StreamObserver<Instance> response) {
        Unary.answer(response, () -> ApiMapper.toProto(useCases.queries().get(request.getInstanceId())));
    }

    @Override
    public void listInstances(ListInstancesRequest request, StreamObserver<ListInstancesResponse> response) {
        Unary.answer(response, () -> {
            InstanceQueries.ListResult page = useCases.queries()
                    .list(ApiMapper.toFilter(request), request.getPageSize(), request.getPageToken());
            ListInstancesResponse.Builder wire = ListInstancesResponse.newBuilder()
                    .setNextPageToken(page.nextPageToken()).setRevision(page.revision());
            page.instances().forEach(i -> wire.addInstances(ApiMapper.toProto(i)));
            return wire.build();
        });
    }

    @Override
    public void startInstance(StartInstanceRequest request, StreamObserver<Instance> response) {
        Unary.answer(response, () -> ApiMapper.toProto(useCases.change().start(request.getInstanceId(),
                request.getRequestId(), Fingerprint.ofRequest(request))));
    }

    @Override
    public void stopInstance(StopInstanceRequest request, StreamObserver<Instance> response) {
        Unary.answer(response, () -> ApiMapper.toProto(useCases.change().stop(request.getInstanceId(), request.getForce(),
                request.getTimeoutSeconds(), request.getRequestId(),
                Fingerprint.ofRequest(request))));
    }

    @Override
    public void restartInstance(RestartInstanceRequest request, StreamObserver<Instance> response) {
        Unary.answer(response, () -> ApiMapper.toProto(useCases.change().restart(request.getInstanceId(), request.getForce(),
                request.getTimeoutSeconds(), request.getRequestId(),
                Fingerprint.ofRequest(request))));
    }

    @Override
    public void getInstanceStats(GetInstanceStatsRequest request, StreamObserver<InstanceStats> response) {
        Unary.answer(response, () -> ApiMapper.toProto(useCases.runtime().stats(request.getInstanceId())));
    }

    /**
     * The generated binding, except that WatchInstance sends {@link EncodedEvent}s: the same
     * bytes on the wire, serialized once per change instead of once per watcher.
     */
    @Override
    public ServerServiceDefinition bindService() {
        ServerServiceDefinition generated = ComputeServiceGrpc.bindService(this);
        MethodDescriptor<WatchInstanceRequest, InstanceEvent> watch = ComputeServiceGrpc.getWatchInstanceMethod();
        MethodDescriptor<WatchInstanceRequest, EncodedEvent> encodedWatch =
                watch.toBuilder(watch.getRequestMarshaller(), EncodedEvent.MARSHALLER).build();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(ComputeServiceGrpc.SERVICE_NAME)
                .setSchemaDescriptor(generated.getServiceDescriptor().getSchemaDescriptor());
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
            if (method.getMethodDescriptor().getFullMethodName().equals(watch.getFullMethodName())) {
                descriptor.addMethod(encodedWatch);
                methods.add(ServerMethodDefinition.create(encodedWatch, ServerCalls.asyncServerStreamingCall(
                        (WatchInstanceRequest request, StreamObserver<EncodedEvent> response) ->
                                watchInstanceEncoded(request, response))));
            } else {
                descriptor.addMethod(method.getMethodDescriptor());
                methods.add(method);
            }
        }
        ServerServiceDefinition.Builder bound = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(bound::addMethod);
        return bound.build();
    }

    private void watchInstanceEncoded(WatchInstanceRequest request, StreamObserver<EncodedEvent> response) {
        try {
            streams.track(new WatchStream(useCases.watches(), wireEvents, ApiMapper.toWatch(request),
                    (ServerCallStreamObserver<EncodedEvent>) response));
        } catch (RuntimeException e) {
            response.onError(StatusMapper.toStatus(e));
        }
    }

    @Override
    public StreamObserver<ConsoleInput> attachConsole(StreamObserver<ConsoleOutput> response) {
        ConsoleStream stream = new ConsoleStream(useCases.runtime(), (ServerCallStreamObserver<ConsoleOutput>) response,
                useCases.background(), new ConsoleBacklog(ConsoleBacklog.DEFAULT_CAPACITY, ConsoleBacklog.DEFAULT_PATIENCE));
        streams.track(stream);
        return stream;
    }

    @Override
    public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> response) {
        Unary.answer(response, () -> {
            var page = useCases.images().require().list(new ImageQuery(ApiMapper.imageKind(request.getKindValue()),
                    request.getReferenceContains(), request.getPageSize(), request.getPageToken()));
            ListImagesResponse.Builder wire = ListImagesResponse.newBuilder().setNextPageToken(page.nextPageToken());
            page.images().forEach(i -> wire.addImages(ApiMapper.toProto(i)));
            return wire.build();
        });
    }

    @Override
    public void pullImage(PullImageRequest request, StreamObserver<PullImageProgress> response) {
        try {
            new PullStream(useCases.images().require(), request, (ServerCallStreamObserver<PullImageProgress>) response)
                    .start(useCases.background());
        } catch (RuntimeException e) {
            response.onError(StatusMapper.toStatus(e));
        }
    }

    @Override
    public void removeImage(RemoveImageRequest request, StreamObserver<Empty> response) {
        Unary.answer(response, () -> {
            if (request.getImage().isBlank()) {
                throw dev.hypervisor.core.error.DomainException.invalidArgument("image", "required");
            }
            useCases.images().require().remove(request.getImage());
            return Empty.getDefaultInstance();
        });
    }
}
