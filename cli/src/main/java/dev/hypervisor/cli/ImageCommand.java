package dev.hypervisor.cli;

import picocli.CommandLine.Command;

/** {@code hvctl image}: the group of image subcommands. */
@Command(name = "image", description = "Pull, list and remove images.",
    subcommands = {ImagePullCommand.class, ImageListCommand.class, ImageRemoveCommand.class})
final class ImageCommand extends Subcommand {

  @Override
  public Integer call() {
    spec.commandLine().usage(hvctl().io().err());
    return ExitCode.USAGE;
  }
}
