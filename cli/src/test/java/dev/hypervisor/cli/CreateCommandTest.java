package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DiskSpec;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.Metadata;
import dev.hypervisor.api.v1.NetworkSpec;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** hvctl create: the request built from flags, and --wait. */
class CreateCommandTest {

  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @Test
  void buildsTheRequestFromEveryFlagAndTheCommandAfterDoubleDash() {
    cli.service.create = r -> Fixtures.instance("inst-abc", r.getName(), InstanceState.INSTANCE_STATE_CREATING);

    CliHarness.Result result = cli.run("create", "web", "--type", "container", "--image", "nginx:latest",
        "--cpus", "2", "--memory", "1.5GiB",
        "--disk", "name=root,size=50GiB,type=ssd,boot", "--disk", "name=data,size=1G",
        "--network", "backend", "--ip", "10.0.0.5",
        "--env", "A=1", "--env", "OPTS=x=y",
        "--label", "app=web", "--annotation", "note=hello world",
        "--request-id", "req-1",
        "--", "nginx", "-g", "daemon off;");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(CreateInstanceRequest.class)).containsExactly(CreateInstanceRequest.newBuilder()
        .setName("web")
        .setType(InstanceType.INSTANCE_TYPE_CONTAINER)
        .setSpec(InstanceSpec.newBuilder()
            .setImage("nginx:latest")
            .setCpuCores(2)
            .setMemoryBytes(1610612736L)
            .addDisks(DiskSpec.newBuilder().setName("root").setSizeBytes(50L << 30).setType("ssd").setBoot(true))
            .addDisks(DiskSpec.newBuilder().setName("data").setSizeBytes(1L << 30))
            .setNetwork(NetworkSpec.newBuilder().setNetworkId("backend").setIpAddress("10.0.0.5"))
            .addCommand("nginx").addCommand("-g").addCommand("daemon off;")
            .putEnv("A", "1").putEnv("OPTS", "x=y"))
        .setMetadata(Metadata.newBuilder().putLabels("app", "web").putAnnotations("note", "hello world"))
        .setRequestId("req-1")
        .build());
    assertThat(result.out()).contains("inst-abc").contains("CREATING");
  }

  @Test
  void leavesOptionalFieldsUnsetForAMinimalVm() {
    cli.service.create = r -> Fixtures.instance("inst-abc", r.getName());

    CliHarness.Result result = cli.run("create", "db", "--type", "INSTANCE_TYPE_VM", "--image", "ubuntu-22.04",
        "--memory", "512M", "--kernel", "/boot/vmlinuz");

    assertThat(result.exitCode()).as(result.err()).isZero();
    CreateInstanceRequest request = cli.service.requests(CreateInstanceRequest.class).get(0);
    assertThat(request.getType()).isEqualTo(InstanceType.INSTANCE_TYPE_VM);
    assertThat(request.getSpec().getMemoryBytes()).isEqualTo(512L << 20);
    assertThat(request.getSpec().getKernel()).isEqualTo("/boot/vmlinuz");
    assertThat(request.getSpec().hasNetwork()).isFalse();
    assertThat(request.hasMetadata()).isFalse();
    assertThat(request.getSpec().getCommandList()).isEmpty();
    assertThat(request.getSpec().getRuntimeClass()).isEmpty();
  }

  @Test
  void aRuntimeClassIsPassedAsGiven() {
    cli.service.create = r -> Fixtures.instance("inst-abc", r.getName());

    CliHarness.Result result = cli.run("create", "sandboxed", "--type", "container", "--image", "busybox",
        "--runtime-class", "runsc", "--", "sh", "-c", "uname -a");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(CreateInstanceRequest.class).get(0).getSpec().getRuntimeClass()).isEqualTo("runsc");
  }

  @Test
  void rejectsABadMemorySizeWithoutCallingTheServer() {
    CliHarness.Result result = cli.run("create", "web", "--type", "vm", "--image", "x", "--memory", "lots");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("hvctl: Invalid value for option '--memory'").hasLineCount(1);
    assertThat(cli.service.requests).isEmpty();
  }

  @Test
  void waitWatchesFromTheReturnedRevisionAndExitsZeroWhenRunning() {
    cli.service.create = r -> Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_CREATING)
        .toBuilder().setRevision(41).build();
    cli.service.watch = (r, events) -> {
      events.onNext(Fixtures.event(InstanceEvent.Type.UPDATED,
          Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_STARTING),
          InstanceState.INSTANCE_STATE_CREATING, 42));
      events.onNext(Fixtures.event(InstanceEvent.Type.UPDATED,
          Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_RUNNING),
          InstanceState.INSTANCE_STATE_STARTING, 43));
      // The stream stays open: hvctl must stop reading on RUNNING by itself.
    };

    CliHarness.Result result = cli.run("create", "web", "--type", "container", "--image", "nginx", "--wait");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(WatchInstanceRequest.class)).containsExactly(WatchInstanceRequest.newBuilder()
        .setInstanceId("inst-abc").setAfterRevision(41).build());
    assertThat(result.out()).contains("RUNNING").doesNotContain("CREATING");
  }

  @Test
  void waitExitsOneWithTheErrorMessageWhenTheInstanceFails() {
    cli.service.create = r -> Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_CREATING);
    cli.service.watch = (r, events) -> events.onNext(Fixtures.event(InstanceEvent.Type.UPDATED,
        Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_ERROR).toBuilder()
            .setErrorMessage("image nginx:nope not found").build(),
        InstanceState.INSTANCE_STATE_CREATING, 8));

    CliHarness.Result result = cli.run("create", "web", "--type", "container", "--image", "nginx:nope", "--wait");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).isEqualTo("hvctl: instance web (inst-abc) failed: image nginx:nope not found\n");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void waitFallsBackToTheCurrentStateWhenTheRevisionWasCompacted() {
    cli.service.create = r -> Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_CREATING);
    cli.service.watch = (r, events) -> {
      if (!r.getSendInitial()) {
        events.onError(Status.OUT_OF_RANGE.withDescription("revision 7 compacted").asRuntimeException());
        return;
      }
      events.onNext(Fixtures.event(InstanceEvent.Type.INITIAL,
          Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_RUNNING),
          InstanceState.INSTANCE_STATE_UNSPECIFIED, 90));
    };

    CliHarness.Result result = cli.run("create", "web", "--type", "container", "--image", "nginx", "--wait");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(WatchInstanceRequest.class)).extracting(WatchInstanceRequest::getSendInitial)
        .containsExactly(false, true);
  }
}
