package dev.hypervisor.cli;

import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hvctl watch}: prints instance events, one line each, until the stream ends or fails. */
@Command(name = "watch", description = "Print instance events as they happen.")
final class WatchCommand extends Subcommand {

  @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "Only this instance.")
  String id;

  @Mixin
  InstanceFilter filter;

  @Option(names = "--since", paramLabel = "REV", description = "Deliver the changes after this revision.")
  long since;

  @Option(names = "--initial", description = "First print the current state of every matching instance.")
  boolean initial;

  @Override
  public Integer call() {
    WatchInstanceRequest request = WatchInstanceRequest.newBuilder()
        .setInstanceId(id == null ? "" : id)
        .setType(filter.type())
        .setState(filter.state())
        .setNodeId(filter.node())
        .putAllLabels(filter.labels())
        .setAfterRevision(since)
        .setSendInitial(initial)
        .build();
    Output output = hvctl().output();
    ServerStream.consume(() -> hvctl().streaming().watchInstance(request), event -> {
      // Bookmarks only matter to programs resuming a watch, so tables leave them out.
      if (output.json() || event.getType() != InstanceEvent.Type.BOOKMARK) {
        output.printStreamed(event, out -> out.println(line(event)));
      }
      return true;
    });
    return ExitCode.OK;
  }

  /** Formats one event: time, type, id, name, previous->state, revision, reason. */
  static String line(InstanceEvent e) {
    String state = EnumNames.shortName(e.getInstance().getState());
    if (e.getType() == InstanceEvent.Type.DELETED) {
      state = EnumNames.shortName(InstanceState.INSTANCE_STATE_DELETED);
    }
    String transition = e.getPreviousState() == InstanceState.INSTANCE_STATE_UNSPECIFIED
        ? state
        : EnumNames.shortName(e.getPreviousState()) + "->" + state;
    return String.format("%-20s  %-8s  %-14s  %-16s  %-22s  rev=%-6d  %s",
        Age.iso(e.getEventTime()), EnumNames.shortName(e.getType()), e.getInstance().getId(),
        e.getInstance().getName(), transition, e.getRevision(), e.getReason()).stripTrailing();
  }
}
