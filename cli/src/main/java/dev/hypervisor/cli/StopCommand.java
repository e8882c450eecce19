package dev.hypervisor.cli;

import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.StopInstanceRequest;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code hvctl stop}: stops an instance, gracefully unless --force, and prints it. */
@Command(name = "stop", description = "Stop an instance.")
final class StopCommand implements Callable<Integer> {

  @ParentCommand
  Hvctl hvctl;

  @Parameters(index = "0", paramLabel = "ID", description = "Instance id.")
  String id;

  @Mixin
  GracefulStop stop;

  @Override
  public Integer call() {
    StopInstanceRequest request = StopInstanceRequest.newBuilder()
        .setInstanceId(id)
        .setForce(stop.force)
        .setTimeoutSeconds(stop.timeoutSeconds)
        .build();
    Instance instance = hvctl.unary().stopInstance(request);
    hvctl.output().print(instance, out -> InstanceTable.print(List.of(instance), hvctl.clock(), out));
    return ExitCode.OK;
  }
}
