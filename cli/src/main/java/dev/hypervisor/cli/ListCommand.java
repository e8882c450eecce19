package dev.hypervisor.cli;

import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hvctl ls}: lists instances, one page or (with --all) every page. */
@Command(name = "ls", aliases = "list", description = "List instances.")
final class ListCommand extends Subcommand {

  @Mixin
  InstanceFilter filter;

  @Option(names = "--page-size", paramLabel = "N", description = "Instances per page (server default 50).")
  int pageSize;

  @Option(names = "--page-token", paramLabel = "TOKEN", description = "Continue from a previous page.")
  String pageToken = "";

  @Mixin
  AllPages pages;

  @Override
  public Integer call() {
    ListInstancesRequest.Builder request = ListInstancesRequest.newBuilder()
        .setType(filter.type())
        .setState(filter.state())
        .setNodeId(filter.node())
        .putAllLabels(filter.labels())
        .setPageSize(pageSize);
    ListInstancesResponse response = pages.fetch(pageToken,
        token -> hvctl().unary().listInstances(request.setPageToken(token).build()),
        ListInstancesResponse::getNextPageToken, ListCommand::join);
    hvctl().output().print(response, out -> {
      InstanceTable.print(response.getInstancesList(), hvctl().clock(), out);
      if (!response.getNextPageToken().isEmpty()) {
        hvctl().io().err().println("hvctl: more instances: use --all, or --page-token "
            + response.getNextPageToken());
      }
    });
    return ExitCode.OK;
  }

  /**
   * Adds the instances and the next_page_token of {@code page} to the pages before it. The first
   * page's revision stays: a watch after it misses no change made while the pages were listed.
   */
  private static ListInstancesResponse join(ListInstancesResponse joined, ListInstancesResponse page) {
    return joined.toBuilder().addAllInstances(page.getInstancesList())
        .setNextPageToken(page.getNextPageToken()).build();
  }
}
