package dev.hypervisor.cli;

import picocli.CommandLine.Parameters;

/** A subcommand about one instance, named by the ID parameter: get, start, stop, restart, rm, stats, console. */
abstract class InstanceCommand extends Subcommand {

  @Parameters(index = "0", paramLabel = "ID", description = "Instance id.")
  String id;
}
