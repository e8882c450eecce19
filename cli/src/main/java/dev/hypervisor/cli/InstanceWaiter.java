package dev.hypervisor.cli;

import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** Waits on WatchInstance for an instance to settle (create --wait) or to disappear (rm). */
final class InstanceWaiter {

  private final Hvctl hvctl;

  InstanceWaiter(Hvctl hvctl) {
    this.hvctl = hvctl;
  }

  /** Returns the first version of the instance that is RUNNING, ERROR or DELETED. */
  Instance untilSettled(Instance created) {
    if (settled(created.getState())) {
      return created;
    }
    WatchInstanceRequest.Builder request = WatchInstanceRequest.newBuilder()
        .setInstanceId(created.getId())
        .setAfterRevision(created.getRevision());
    try {
      return watchUntilSettled(request.build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.OUT_OF_RANGE) {
        throw e;
      }
      // The revision was compacted (a slow start, or a replayed request_id): the current state
      // comes as an INITIAL event instead.
      return watchUntilSettled(request.setAfterRevision(0).setSendInitial(true).build());
    }
  }

  /** Returns once the instance is gone: its DELETED event arrived or GetInstance says NOT_FOUND. */
  void untilGone(String instanceId) {
    WatchInstanceRequest request = WatchInstanceRequest.newBuilder()
        .setInstanceId(instanceId)
        .setSendInitial(true)
        .build();
    AtomicBoolean seen = new AtomicBoolean();
    boolean gone;
    try {
      gone = ServerStream.consume(() -> hvctl.streaming().watchInstance(request), event -> {
        switch (event.getType()) {
          case DELETED:
            return false;
          case INITIAL:
            seen.set(true);
            return true;
          case BOOKMARK:
            // No INITIAL before the first bookmark: it was deleted before the watch began.
            return seen.get() || exists(instanceId);
          default:
            return true;
        }
      });
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
      gone = true;
    }
    if (!gone && exists(instanceId)) {
      throw new CommandFailure(ExitCode.FAILURE,
          "the watch ended before instance " + instanceId + " was deleted");
    }
  }

  private Instance watchUntilSettled(WatchInstanceRequest request) {
    AtomicReference<Instance> last = new AtomicReference<>();
    ServerStream.consume(() -> hvctl.streaming().watchInstance(request), (InstanceEvent event) -> {
      if (event.getType() == InstanceEvent.Type.BOOKMARK) {
        return true;
      }
      Instance instance = event.getType() == InstanceEvent.Type.DELETED
          ? event.getInstance().toBuilder().setState(InstanceState.INSTANCE_STATE_DELETED).build()
          : event.getInstance();
      last.set(instance);
      return !settled(instance.getState());
    });
    if (last.get() == null || !settled(last.get().getState())) {
      throw new CommandFailure(ExitCode.FAILURE,
          "the watch ended before instance " + request.getInstanceId() + " was running");
    }
    return last.get();
  }

  private boolean exists(String instanceId) {
    try {
      hvctl.unary().getInstance(GetInstanceRequest.newBuilder().setInstanceId(instanceId).build());
      return true;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  private static boolean settled(InstanceState state) {
    return state == InstanceState.INSTANCE_STATE_RUNNING
        || state == InstanceState.INSTANCE_STATE_ERROR
        || state == InstanceState.INSTANCE_STATE_DELETED;
  }
}
