package dev.hypervisor.cli;

import dev.hypervisor.api.v1.StartInstanceRequest;
import picocli.CommandLine.Command;

/** {@code hvctl start}: starts a STOPPED or ERROR instance and prints it. */
@Command(name = "start", description = "Start a stopped instance.")
final class StartCommand extends InstanceCommand {

  @Override
  public Integer call() {
    printRow(hvctl().unary().startInstance(StartInstanceRequest.newBuilder().setInstanceId(id).build()));
    return ExitCode.OK;
  }
}
