package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** hvctl watch: event lines, hidden bookmarks, JSON lines and stream errors. */
class WatchCommandTest {

  @RegisterExtension
  final CliHarness cli = new CliHarness();

  private final List<InstanceEvent> events = List.of(
      Fixtures.event(InstanceEvent.Type.CREATED,
          Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_CREATING),
          InstanceState.INSTANCE_STATE_UNSPECIFIED, 5),
      Fixtures.bookmark(5),
      Fixtures.event(InstanceEvent.Type.UPDATED,
          Fixtures.instance("inst-abc", "web", InstanceState.INSTANCE_STATE_RUNNING),
          InstanceState.INSTANCE_STATE_STARTING, 6).toBuilder().setReason("boot complete").build());

  private void serveEventsThenEnd() {
    cli.service.watch = (r, o) -> {
      events.forEach(o::onNext);
      o.onCompleted();
    };
  }

  @Test
  void printsOneLinePerEventAndHidesBookmarksInTableMode() {
    serveEventsThenEnd();

    CliHarness.Result result = cli.run("watch");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines()).hasSize(2);
    assertThat(result.out().lines().toList().get(0))
        .matches("2025-06-01T11:59:59Z\\s+CREATED\\s+inst-abc\\s+web\\s+CREATING\\s+rev=5");
    assertThat(result.out().lines().toList().get(1))
        .matches("2025-06-01T11:59:59Z\\s+UPDATED\\s+inst-abc\\s+web\\s+STARTING->RUNNING\\s+rev=6\\s+boot complete");
    assertThat(result.out()).doesNotContain("BOOKMARK");
  }

  @Test
  void jsonModePrintsEveryEventIncludingBookmarksAsOneCompactObjectPerLine() throws Exception {
    serveEventsThenEnd();

    CliHarness.Result result = cli.run("watch", "-o", "json");

    List<InstanceEvent> parsed = new ArrayList<>();
    for (String line : result.out().lines().toList()) {
      InstanceEvent.Builder event = InstanceEvent.newBuilder();
      JsonFormat.parser().merge(line, event);
      parsed.add(event.build());
    }
    assertThat(parsed).isEqualTo(events);
    assertThat(result.out()).doesNotContain("\n  ");
  }

  @Test
  void sendsTheIdFiltersSinceAndInitialFlags() {
    serveEventsThenEnd();

    cli.run("watch", "inst-abc", "--type", "vm", "--state", "error", "--node", "n1", "--label", "a=b",
        "--since", "99", "--initial");

    assertThat(cli.service.requests(WatchInstanceRequest.class)).containsExactly(WatchInstanceRequest.newBuilder()
        .setInstanceId("inst-abc")
        .setType(InstanceType.INSTANCE_TYPE_VM)
        .setState(InstanceState.INSTANCE_STATE_ERROR)
        .setNodeId("n1")
        .putLabels("a", "b")
        .setAfterRevision(99)
        .setSendInitial(true)
        .build());
  }

  @Test
  void streamErrorExitsNonZeroWithTheStatusOnOneLine() {
    cli.service.watch = (r, o) -> {
      o.onNext(events.get(0));
      o.onError(Status.OUT_OF_RANGE.withDescription("revision 3 compacted; relist").asRuntimeException());
    };

    CliHarness.Result result = cli.run("watch", "--since", "3");

    assertThat(result.exitCode()).isEqualTo(11);
    assertThat(result.out().lines()).hasSize(1);
    assertThat(result.err()).isEqualTo("hvctl: OUT_OF_RANGE: revision 3 compacted; relist\n");
  }
}
