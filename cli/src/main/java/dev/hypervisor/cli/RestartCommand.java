package dev.hypervisor.cli;

import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.RestartInstanceRequest;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code hvctl restart}: restarts a RUNNING instance and prints it. */
@Command(name = "restart", description = "Restart a running instance.")
final class RestartCommand implements Callable<Integer> {

  @ParentCommand
  Hvctl hvctl;

  @Parameters(index = "0", paramLabel = "ID", description = "Instance id.")
  String id;

  @Mixin
  GracefulStop stop;

  @Override
  public Integer call() {
    RestartInstanceRequest request = RestartInstanceRequest.newBuilder()
        .setInstanceId(id)
        .setForce(stop.force)
        .setTimeoutSeconds(stop.timeoutSeconds)
        .build();
    Instance instance = hvctl.unary().restartInstance(request);
    hvctl.output().print(instance, out -> InstanceTable.print(List.of(instance), hvctl.clock(), out));
    return ExitCode.OK;
  }
}
