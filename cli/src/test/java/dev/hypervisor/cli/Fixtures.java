package dev.hypervisor.cli;

import com.google.protobuf.Timestamp;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import java.time.Duration;

/** Sample instances and events for tests. */
final class Fixtures {

  private Fixtures() {}

  /** A RUNNING container created five minutes before {@link CliHarness#NOW}. */
  static Instance instance(String id, String name) {
    return Instance.newBuilder()
        .setId(id)
        .setName(name)
        .setType(InstanceType.INSTANCE_TYPE_CONTAINER)
        .setState(InstanceState.INSTANCE_STATE_RUNNING)
        .setNodeId("node-1")
        .setIpAddress("10.88.0.7")
        .setCreatedAt(ago(Duration.ofMinutes(5)))
        .setRevision(7)
        .build();
  }

  static Instance instance(String id, String name, InstanceState state) {
    return instance(id, name).toBuilder().setState(state).build();
  }

  static InstanceEvent event(InstanceEvent.Type type, Instance instance, InstanceState previous, long revision) {
    return InstanceEvent.newBuilder()
        .setType(type)
        .setInstance(instance)
        .setPreviousState(previous)
        .setRevision(revision)
        .setEventTime(ago(Duration.ofSeconds(1)))
        .build();
  }

  static InstanceEvent bookmark(long revision) {
    return InstanceEvent.newBuilder().setType(InstanceEvent.Type.BOOKMARK).setRevision(revision).build();
  }

  static Timestamp ago(Duration duration) {
    return Timestamp.newBuilder().setSeconds(CliHarness.NOW.minus(duration).getEpochSecond()).build();
  }
}
