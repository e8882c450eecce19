package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Empty;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** hvctl rm and its wait for the DELETED event. */
class RemoveCommandTest {

  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @Test
  void waitsForTheDeletedEventBeforeExiting() throws Exception {
    CountDownLatch releaseDeleted = new CountDownLatch(1);
    CountDownLatch initialSent = new CountDownLatch(1);
    cli.service.delete = r -> Empty.getDefaultInstance();
    cli.service.get = r -> Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_STOPPING);
    cli.service.watch = (r, events) -> {
      events.onNext(Fixtures.event(InstanceEvent.Type.INITIAL,
          Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_STOPPING),
          InstanceState.INSTANCE_STATE_UNSPECIFIED, 10));
      events.onNext(Fixtures.bookmark(10));
      initialSent.countDown();
      new Thread(() -> {
        try {
          releaseDeleted.await();
        } catch (InterruptedException e) {
          return;
        }
        events.onNext(Fixtures.event(InstanceEvent.Type.DELETED,
            Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_DELETED),
            InstanceState.INSTANCE_STATE_STOPPING, 11));
        // Left open on purpose: the DELETED event alone must end the wait.
      }).start();
    };

    CompletableFuture<CliHarness.Result> run = cli.runAsync("rm", "inst-abc", "--force");
    assertThat(initialSent.await(5, TimeUnit.SECONDS)).isTrue();
    // Nothing may end it but the DELETED event: it stays waiting for as long as it is held back.
    org.awaitility.Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
        .until(() -> !run.isDone());
    releaseDeleted.countDown();
    CliHarness.Result result = run.get(5, TimeUnit.SECONDS);

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).isEqualTo("inst-abc\n");
    assertThat(cli.service.requests(DeleteInstanceRequest.class)).containsExactly(
        DeleteInstanceRequest.newBuilder().setInstanceId("inst-abc").setForce(true).build());
    assertThat(cli.service.requests(WatchInstanceRequest.class)).containsExactly(
        WatchInstanceRequest.newBuilder().setInstanceId("inst-abc").setSendInitial(true).build());
  }

  @Test
  void finishesWhenTheInstanceIsAlreadyGoneBeforeTheWatchStarts() throws Exception {
    cli.service.delete = r -> Empty.getDefaultInstance();
    cli.service.get = r -> {
      throw Status.NOT_FOUND.withDescription("instance inst-abc not found").asRuntimeException();
    };
    // Nothing matches any more: the initial listing is empty, and no event will ever come.
    cli.service.watch = (r, events) -> events.onNext(Fixtures.bookmark(12));

    CliHarness.Result result = cli.runAsync("rm", "inst-abc").get(5, TimeUnit.SECONDS);

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(GetInstanceRequest.class)).hasSize(1);
  }

  @Test
  void noWaitReturnsWithoutWatching() {
    cli.service.delete = r -> Empty.getDefaultInstance();

    CliHarness.Result result = cli.run("rm", "inst-abc", "--no-wait");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(WatchInstanceRequest.class)).isEmpty();
  }

  @Test
  void deletingAMissingInstanceExitsThree() {
    cli.service.delete = r -> {
      throw Status.NOT_FOUND.withDescription("instance inst-abc not found").asRuntimeException();
    };

    CliHarness.Result result = cli.run("rm", "inst-abc");

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.err()).isEqualTo("hvctl: NOT_FOUND: instance inst-abc not found\n");
  }
}
