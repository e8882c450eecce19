package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.hypervisor.api.v1.GetInstanceStatsRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceStats;
import dev.hypervisor.api.v1.RestartInstanceRequest;
import dev.hypervisor.api.v1.StartInstanceRequest;
import dev.hypervisor.api.v1.StopInstanceRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** hvctl get, start, stop, restart and stats. */
class InstanceCommandsTest {

  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @Test
  void getPrintsTheInstanceFieldByField() {
    cli.service.get = r -> Fixtures.instance(r.getInstanceId(), "web").toBuilder()
        .setSpec(InstanceSpec.newBuilder().setImage("nginx:latest").setMemoryBytes(512L << 20)
            .addCommand("nginx").addCommand("-g").addCommand("daemon off;"))
        .build();

    CliHarness.Result result = cli.run("get", "inst-abc");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines()).contains(
        "ID:       inst-abc",
        "State:    RUNNING",
        "Memory:   512 MiB",
        "Command:  nginx -g daemon off;",
        "Created:  2025-06-01T11:55:00Z (5m ago)");
  }

  @Test
  void getShowsAStepBeingRetried() {
    cli.service.get = r -> Fixtures.instance(r.getInstanceId(), "web", InstanceState.INSTANCE_STATE_STARTING)
        .toBuilder().setAttempts(2).setLastError("loop device busy").build();

    CliHarness.Result result = cli.run("get", "inst-abc");

    assertThat(result.out().lines()).contains("Retrying: failed 2 times, last: loop device busy");
  }

  @Test
  void getInJsonModeParsesBackToTheSameInstance() throws Exception {
    Instance instance = Fixtures.instance("inst-abc", "web");
    cli.service.get = r -> instance;

    CliHarness.Result result = cli.run("get", "inst-abc", "-o", "json");

    Instance.Builder parsed = Instance.newBuilder();
    JsonFormat.parser().merge(result.out(), parsed);
    assertThat(parsed.build()).isEqualTo(instance);
  }

  @Test
  void startPrintsTheReturnedInstance() {
    cli.service.start = r -> Fixtures.instance(r.getInstanceId(), "web", InstanceState.INSTANCE_STATE_STARTING);

    CliHarness.Result result = cli.run("start", "inst-abc");

    assertThat(cli.service.requests(StartInstanceRequest.class)).extracting(StartInstanceRequest::getInstanceId)
        .containsExactly("inst-abc");
    assertThat(result.out().lines()).hasSize(2).element(1).asString().contains("inst-abc").contains("STARTING");
  }

  @Test
  void stopSendsForceAndGracefulTimeout() {
    cli.service.stop = r -> Fixtures.instance(r.getInstanceId(), "web", InstanceState.INSTANCE_STATE_STOPPED);

    CliHarness.Result result = cli.run("stop", "inst-abc", "--force", "--timeout", "20");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(StopInstanceRequest.class)).containsExactly(StopInstanceRequest.newBuilder()
        .setInstanceId("inst-abc").setForce(true).setTimeoutSeconds(20).build());
    assertThat(result.out()).contains("STOPPED");
  }

  @Test
  void restartSendsItsGracefulTimeout() {
    cli.service.restart = r -> Fixtures.instance(r.getInstanceId(), "web", InstanceState.INSTANCE_STATE_RESTARTING);

    CliHarness.Result result = cli.run("restart", "inst-abc", "--timeout", "5");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(RestartInstanceRequest.class)).containsExactly(RestartInstanceRequest.newBuilder()
        .setInstanceId("inst-abc").setTimeoutSeconds(5).build());
    assertThat(result.out()).contains("RESTARTING");
  }

  @Test
  void stopOnTheWrongStateExitsFive() {
    cli.service.stop = r -> {
      throw io.grpc.Status.FAILED_PRECONDITION.withDescription("instance inst-abc is CREATING").asRuntimeException();
    };

    CliHarness.Result result = cli.run("stop", "inst-abc");

    assertThat(result.exitCode()).isEqualTo(5);
    assertThat(result.err()).isEqualTo("hvctl: FAILED_PRECONDITION: instance inst-abc is CREATING\n");
  }

  private static InstanceStats sample() {
    return InstanceStats.newBuilder()
        .setInstanceId("inst-abc")
        .setCpuUsagePercent(12.5f)
        .setMemoryUsageBytes(128L << 20)
        .setMemoryLimitBytes(512L << 20)
        .setDiskReadBytes(3L << 20)
        .setDiskWriteBytes(1536)
        .setNetworkRxBytes(2048)
        .setNetworkTxBytes(10)
        .build();
  }

  @Test
  void statsPrintsHumanUnitsAndPercentages() {
    cli.service.stats = r -> sample();

    CliHarness.Result result = cli.run("stats", "inst-abc");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines().toList().get(1))
        .matches("inst-abc\\s+12\\.5%\\s+128 MiB / 512 MiB\\s+25\\.0%\\s+3 MiB / 1\\.5 KiB\\s+2 KiB / 10 B");
  }

  @Test
  void statsWatchSamplesRepeatedlyUnderOneHeader() {
    cli.service.stats = r -> sample();

    CliHarness.Result result = cli.run("stats", "inst-abc", "--watch", "--interval", "10", "--count", "3");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(GetInstanceStatsRequest.class)).hasSize(3);
    assertThat(result.out().lines()).hasSize(4).first().asString().startsWith("ID");
  }
}
