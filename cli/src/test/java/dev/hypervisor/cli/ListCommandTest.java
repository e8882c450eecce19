package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** hvctl ls: table rendering, filters, paging with --all and JSON output. */
class ListCommandTest {

  @RegisterExtension
  final CliHarness cli = new CliHarness();

  /** Serves five instances two per page, with the offset as page token. */
  private void serveFiveInPagesOfTwo() {
    cli.service.list = r -> {
      int from = r.getPageToken().isEmpty() ? 0 : Integer.parseInt(r.getPageToken());
      ListInstancesResponse.Builder page = ListInstancesResponse.newBuilder();
      for (int i = from; i < Math.min(from + 2, 5); i++) {
        page.addInstances(Fixtures.instance("inst-" + i, "web-" + i));
      }
      if (from + 2 < 5) {
        page.setNextPageToken(Integer.toString(from + 2));
      }
      return page.build();
    };
  }

  @Test
  void rendersAnAlignedTableWithShortEnumNames() {
    cli.service.list = r -> ListInstancesResponse.newBuilder()
        .addInstances(Fixtures.instance("inst-a", "web"))
        .addInstances(Fixtures.instance("inst-bbbbbb", "database", InstanceState.INSTANCE_STATE_STOPPED)
            .toBuilder().setType(InstanceType.INSTANCE_TYPE_VM).clearIpAddress().build())
        .build();

    CliHarness.Result result = cli.run("ls");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().lines()).containsExactly(
        "ID            NAME       TYPE        STATE     IP          NODE     AGE",
        "inst-a        web        CONTAINER   RUNNING   10.88.0.7   node-1   5m",
        "inst-bbbbbb   database   VM          STOPPED   -           node-1   5m");
  }

  @Test
  void passesFiltersWithShortOrFullEnumNames() {
    cli.service.list = r -> ListInstancesResponse.getDefaultInstance();

    cli.run("ls", "--type", "microvm", "--state", "INSTANCE_STATE_STOPPED", "--node", "n2",
        "--label", "app=web", "--label", "tier=front", "--page-size", "10");

    assertThat(cli.service.requests(ListInstancesRequest.class)).containsExactly(ListInstancesRequest.newBuilder()
        .setType(InstanceType.INSTANCE_TYPE_MICROVM)
        .setState(InstanceState.INSTANCE_STATE_STOPPED)
        .setNodeId("n2")
        .putLabels("app", "web").putLabels("tier", "front")
        .setPageSize(10)
        .build());
  }

  @Test
  void allFollowsNextPageTokensToTheLastPage() {
    serveFiveInPagesOfTwo();

    CliHarness.Result result = cli.run("ls", "--all", "--page-size", "2");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(ListInstancesRequest.class))
        .extracting(ListInstancesRequest::getPageToken).containsExactly("", "2", "4");
    assertThat(cli.service.requests(ListInstancesRequest.class))
        .extracting(ListInstancesRequest::getPageSize).containsOnly(2);
    assertThat(result.out().lines()).hasSize(6).element(5).asString().startsWith("inst-4");
    assertThat(result.err()).isEmpty();
  }

  @Test
  void withoutAllShowsOnePageAndHintsAtTheNextOnStderr() {
    serveFiveInPagesOfTwo();

    CliHarness.Result result = cli.run("ls");

    assertThat(result.out().lines()).hasSize(3);
    assertThat(result.err()).isEqualTo("hvctl: more instances: use --all, or --page-token 2\n");
  }

  @Test
  void jsonOutputIsTheWholeResponseAndParsesBack() throws Exception {
    serveFiveInPagesOfTwo();

    CliHarness.Result result = cli.run("-o", "json", "ls", "--all");

    ListInstancesResponse.Builder parsed = ListInstancesResponse.newBuilder();
    JsonFormat.parser().merge(result.out(), parsed);
    assertThat(parsed.getInstancesList()).extracting(i -> i.getId())
        .isEqualTo(List.of("inst-0", "inst-1", "inst-2", "inst-3", "inst-4"));
    assertThat(parsed.getInstances(0)).isEqualTo(Fixtures.instance("inst-0", "web-0"));
    assertThat(parsed.getNextPageToken()).isEmpty();
  }

  @Test
  void outputOptionIsAlsoAcceptedAfterTheSubcommand() throws Exception {
    serveFiveInPagesOfTwo();

    CliHarness.Result result = cli.run("ls", "-o", "json");

    ListInstancesResponse.Builder parsed = ListInstancesResponse.newBuilder();
    JsonFormat.parser().merge(result.out(), parsed);
    assertThat(parsed.getInstancesCount()).isEqualTo(2);
    assertThat(parsed.getNextPageToken()).isEqualTo("2");
  }
}
