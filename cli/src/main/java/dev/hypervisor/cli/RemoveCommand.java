package dev.hypervisor.cli;

import com.google.protobuf.Empty;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hvctl rm}: deletes an instance and, unless --no-wait, waits until it is gone. */
@Command(name = "rm", aliases = "delete", description = "Delete an instance and wait until it is gone.")
final class RemoveCommand extends InstanceCommand {

  @Option(names = "--force", description = "Kill at once instead of a graceful stop.")
  boolean force;

  @Option(names = "--no-wait", description = "Return once the deletion is accepted.")
  boolean noWait;

  @Override
  public Integer call() {
    Empty response = hvctl().unary().deleteInstance(
        DeleteInstanceRequest.newBuilder().setInstanceId(id).setForce(force).build());
    // DeleteInstance only starts the deletion; the instance lingers in STOPPING until DELETED.
    if (!noWait) {
      new InstanceWaiter(hvctl()).untilGone(id);
    }
    hvctl().output().print(response, out -> out.println(id));
    return ExitCode.OK;
  }
}
