package dev.hypervisor.cli;

import dev.hypervisor.api.v1.RemoveImageRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code hvctl image rm}: removes image references (or whole images by digest). */
@Command(name = "rm", aliases = "remove", description = "Remove images by reference or digest.")
final class ImageRemoveCommand extends Subcommand {

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "A reference as listed, or sha256:DIGEST.")
  List<String> images;

  @Override
  public Integer call() {
    for (String name : images) {
      hvctl().unary().removeImage(RemoveImageRequest.newBuilder().setImage(name).build());
      hvctl().io().out().println(name);
    }
    return ExitCode.OK;
  }
}
