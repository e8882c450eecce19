package dev.hypervisor.cli;

import dev.hypervisor.api.v1.Image;
import dev.hypervisor.api.v1.PullImageRequest;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hvctl image pull}: pulls an image, showing progress, and prints its digest and references. */
@Command(name = "pull", description = "Pull an image onto the node.")
final class ImagePullCommand extends Subcommand {

  @Parameters(index = "0", paramLabel = "REF", description = "Image reference, catalog alias or URL.")
  String reference;

  @Option(names = "--digest", paramLabel = "sha256:...", description = "Expected digest of a URL pull.")
  String expectedDigest = "";

  @Override
  public Integer call() {
    Output output = hvctl().output();
    PullImageRequest request = PullImageRequest.newBuilder()
        .setImage(reference)
        .setExpectedDigest(expectedDigest)
        .build();
    PullProgressView view = new PullProgressView(output.out(), hvctl().io().interactive(), System::nanoTime);
    AtomicReference<Image> pulled = new AtomicReference<>();
    ServerStream.consume(() -> hvctl().streaming().pullImage(request), progress -> {
      if (progress.hasImage()) {
        pulled.set(progress.getImage());
      }
      output.printStreamed(progress, out -> view.update(progress));
      return true;
    });
    view.finish();
    if (pulled.get() == null) {
      throw new CommandFailure(ExitCode.FAILURE, "the pull of " + reference + " ended without an image");
    }
    if (!output.json()) {
      output.out().println("Digest: " + pulled.get().getId());
      for (String ref : pulled.get().getReferencesList()) {
        output.out().println("Reference: " + ref);
      }
      output.out().flush();
    }
    return ExitCode.OK;
  }
}
