package dev.hypervisor.cli;

import dev.hypervisor.api.v1.StopInstanceRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code hvctl stop}: stops an instance, gracefully unless --force, and prints it. */
@Command(name = "stop", description = "Stop an instance.")
final class StopCommand extends InstanceCommand {

  @Mixin
  GracefulStop stop;

  @Override
  public Integer call() {
    printRow(hvctl().unary().stopInstance(StopInstanceRequest.newBuilder()
        .setInstanceId(id).setForce(stop.force).setTimeoutSeconds(stop.timeoutSeconds).build()));
    return ExitCode.OK;
  }
}
