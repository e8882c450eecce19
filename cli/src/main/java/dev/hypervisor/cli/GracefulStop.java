package dev.hypervisor.cli;

import picocli.CommandLine.Option;

/** The --force and --timeout options of stop and restart. */
final class GracefulStop {

  @Option(names = "--force", description = "Kill at once instead of a graceful stop.")
  boolean force;

  @Option(names = "--timeout", paramLabel = "SECONDS",
      description = "Graceful stop time before a kill (0: the runtime default, at most 3600).")
  int timeoutSeconds;
}
