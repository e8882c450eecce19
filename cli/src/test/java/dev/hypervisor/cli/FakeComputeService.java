package dev.hypervisor.cli;

import com.google.protobuf.Empty;
import com.google.protobuf.Message;
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
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Function;

/** A ComputeService whose answers each test scripts, and which records every request it gets. */
class FakeComputeService extends ComputeServiceGrpc.ComputeServiceImplBase {

  final List<Message> requests = new CopyOnWriteArrayList<>();

  Function<CreateInstanceRequest, Instance> create = r -> { throw unimplemented(); };
  Function<GetInstanceRequest, Instance> get = r -> { throw unimplemented(); };
  Function<ListInstancesRequest, ListInstancesResponse> list = r -> { throw unimplemented(); };
  Function<DeleteInstanceRequest, Empty> delete = r -> { throw unimplemented(); };
  Function<StartInstanceRequest, Instance> start = r -> { throw unimplemented(); };
  Function<StopInstanceRequest, Instance> stop = r -> { throw unimplemented(); };
  Function<RestartInstanceRequest, Instance> restart = r -> { throw unimplemented(); };
  Function<GetInstanceStatsRequest, InstanceStats> stats = r -> { throw unimplemented(); };
  Function<ListImagesRequest, ListImagesResponse> listImages = r -> { throw unimplemented(); };
  Function<RemoveImageRequest, Empty> removeImage = r -> { throw unimplemented(); };
  BiConsumer<WatchInstanceRequest, StreamObserver<InstanceEvent>> watch =
      (r, o) -> o.onError(unimplemented());
  BiConsumer<PullImageRequest, StreamObserver<PullImageProgress>> pull =
      (r, o) -> o.onError(unimplemented());
  Function<StreamObserver<ConsoleOutput>, StreamObserver<ConsoleInput>> console = o -> {
    throw unimplemented();
  };

  /** The recorded requests of one type, in arrival order. */
  <T extends Message> List<T> requests(Class<T> type) {
    return requests.stream().filter(type::isInstance).map(type::cast).toList();
  }

  @Override
  public void createInstance(CreateInstanceRequest request, StreamObserver<Instance> response) {
    unary(request, response, create);
  }

  @Override
  public void getInstance(GetInstanceRequest request, StreamObserver<Instance> response) {
    unary(request, response, get);
  }

  @Override
  public void listInstances(ListInstancesRequest request, StreamObserver<ListInstancesResponse> response) {
    unary(request, response, list);
  }

  @Override
  public void deleteInstance(DeleteInstanceRequest request, StreamObserver<Empty> response) {
    unary(request, response, delete);
  }

  @Override
  public void removeImage(RemoveImageRequest request, StreamObserver<Empty> response) {
    unary(request, response, removeImage);
  }

  @Override
  public void startInstance(StartInstanceRequest request, StreamObserver<Instance> response) {
    unary(request, response, start);
  }

  @Override
  public void stopInstance(StopInstanceRequest request, StreamObserver<Instance> response) {
    unary(request, response, stop);
  }

  @Override
  public void restartInstance(RestartInstanceRequest request, StreamObserver<Instance> response) {
    unary(request, response, restart);
  }

  @Override
  public void getInstanceStats(GetInstanceStatsRequest request, StreamObserver<InstanceStats> response) {
    unary(request, response, stats);
  }

  @Override
  public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> response) {
    unary(request, response, listImages);
  }

  @Override
  public void watchInstance(WatchInstanceRequest request, StreamObserver<InstanceEvent> response) {
    requests.add(request);
    watch.accept(request, response);
  }

  @Override
  public void pullImage(PullImageRequest request, StreamObserver<PullImageProgress> response) {
    requests.add(request);
    pull.accept(request, response);
  }

  @Override
  public StreamObserver<ConsoleInput> attachConsole(StreamObserver<ConsoleOutput> response) {
    return console.apply(response);
  }

  private <Q extends Message, A> void unary(Q request, StreamObserver<A> response, Function<Q, A> handler) {
    requests.add(request);
    A answer;
    try {
      answer = handler.apply(request);
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    response.onNext(answer);
    response.onCompleted();
  }

  private static StatusRuntimeException unimplemented() {
    return Status.UNIMPLEMENTED.withDescription("not scripted in this test").asRuntimeException();
  }
}
