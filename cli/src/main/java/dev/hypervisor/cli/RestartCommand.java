package dev.hypervisor.cli;

import dev.hypervisor.api.v1.RestartInstanceRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code hvctl restart}: restarts a RUNNING instance and prints it. */
@Command(name = "restart", description = "Restart a running instance.")
final class RestartCommand extends InstanceCommand {

  @Mixin
  GracefulStop stop;

  @Override
  public Integer call() {
    printRow(hvctl().unary().restartInstance(RestartInstanceRequest.newBuilder()
        .setInstanceId(id).setForce(stop.force).setTimeoutSeconds(stop.timeoutSeconds).build()));
    return ExitCode.OK;
  }
}
