package dev.hypervisor.cli;

import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.Instance;
import picocli.CommandLine.Command;

/** {@code hvctl get}: prints one instance in full. */
@Command(name = "get", description = "Show one instance.")
final class GetCommand extends InstanceCommand {

  @Override
  public Integer call() {
    Instance instance = hvctl().unary().getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build());
    hvctl().output().print(instance, out -> InstanceDetail.print(instance, hvctl().clock(), out));
    return ExitCode.OK;
  }
}
