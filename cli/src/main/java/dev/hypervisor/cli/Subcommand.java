package dev.hypervisor.cli;

import dev.hypervisor.api.v1.Instance;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A subcommand of hvctl at any depth ({@code hvctl ls}, {@code hvctl image pull}): reaches the
 * {@link Hvctl} it runs under for the stubs, the output, the streams and the clock.
 */
abstract class Subcommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  /** The root command, whose global options and channel every subcommand shares. */
  Hvctl hvctl() {
    return (Hvctl) spec.root().userObject();
  }

  /** Prints {@code instance} as a one-row instance table, or as JSON with -o json. */
  void printRow(Instance instance) {
    hvctl().output().print(instance, out -> InstanceTable.print(List.of(instance), hvctl().clock(), out));
  }
}
