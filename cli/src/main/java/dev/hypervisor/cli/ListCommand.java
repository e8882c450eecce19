package dev.hypervisor.cli;

import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import java.util.HashSet;
import java.util.Set;
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

  @Option(names = "--all", description = "Follow next_page_token until the last page.")
  boolean all;

  @Override
  public Integer call() {
    ListInstancesRequest.Builder request = ListInstancesRequest.newBuilder()
        .setType(filter.type())
        .setState(filter.state())
        .setNodeId(filter.node())
        .putAllLabels(filter.labels())
        .setPageSize(pageSize)
        .setPageToken(pageToken);
    ListInstancesResponse page = hvctl().unary().listInstances(request.build());
    ListInstancesResponse.Builder result = page.toBuilder();
    Set<String> tokens = new HashSet<>();
    // A token seen before would loop forever; the server is broken, so stop and show what we have.
    while (all && !page.getNextPageToken().isEmpty() && tokens.add(page.getNextPageToken())) {
      page = hvctl().unary().listInstances(request.setPageToken(page.getNextPageToken()).build());
      result.addAllInstances(page.getInstancesList()).setNextPageToken(page.getNextPageToken());
    }
    ListInstancesResponse response = result.build();
    hvctl().output().print(response, out -> {
      InstanceTable.print(response.getInstancesList(), hvctl().clock(), out);
      if (!response.getNextPageToken().isEmpty()) {
        hvctl().io().err().println("hvctl: more instances: use --all, or --page-token "
            + response.getNextPageToken());
      }
    });
    return ExitCode.OK;
  }
}
