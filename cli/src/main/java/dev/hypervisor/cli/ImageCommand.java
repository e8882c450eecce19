package dev.hypervisor.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code hvctl image}: the group of image subcommands. */
@Command(name = "image", description = "Pull, list and remove images.",
    subcommands = {ImagePullCommand.class, ImageListCommand.class, ImageRemoveCommand.class})
final class ImageCommand implements Callable<Integer> {

  @ParentCommand
  Hvctl hvctl;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(hvctl.io().err());
    return ExitCode.USAGE;
  }
}
