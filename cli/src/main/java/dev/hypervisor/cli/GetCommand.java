package dev.hypervisor.cli;

import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.Instance;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code hvctl get}: prints one instance in full. */
@Command(name = "get", description = "Show one instance.")
final class GetCommand implements Callable<Integer> {

  @ParentCommand
  Hvctl hvctl;

  @Parameters(index = "0", paramLabel = "ID", description = "Instance id.")
  String id;

  @Override
  public Integer call() {
    Instance instance = hvctl.unary().getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build());
    hvctl.output().print(instance, out -> InstanceDetail.print(instance, hvctl.clock(), out));
    return ExitCode.OK;
  }
}
