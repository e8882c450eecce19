package dev.hypervisor.cli;

import dev.hypervisor.api.v1.Instance;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;

/** The one-row-per-instance table: ID NAME TYPE STATE IP NODE AGE. */
final class InstanceTable {

  private InstanceTable() {}

  static void print(List<Instance> instances, Clock clock, PrintStream out) {
    Table table = new Table("ID", "NAME", "TYPE", "STATE", "IP", "NODE", "AGE");
    for (Instance i : instances) {
      table.row(i.getId(), i.getName(), EnumNames.shortName(i.getType()),
          EnumNames.shortName(i.getState()), i.getIpAddress(), i.getNodeId(),
          Age.of(i.getCreatedAt(), clock));
    }
    table.print(out);
  }
}
