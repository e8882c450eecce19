package dev.hypervisor.cli;

import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.StartInstanceRequest;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code hvctl start}: starts a STOPPED or ERROR instance and prints it. */
@Command(name = "start", description = "Start a stopped instance.")
final class StartCommand implements Callable<Integer> {

  @ParentCommand
  Hvctl hvctl;

  @Parameters(index = "0", paramLabel = "ID", description = "Instance id.")
  String id;

  @Override
  public Integer call() {
    Instance instance = hvctl.unary().startInstance(StartInstanceRequest.newBuilder().setInstanceId(id).build());
    hvctl.output().print(instance, out -> InstanceTable.print(List.of(instance), hvctl.clock(), out));
    return ExitCode.OK;
  }
}
