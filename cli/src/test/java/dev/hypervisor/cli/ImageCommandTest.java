package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.hypervisor.api.v1.Image;
import dev.hypervisor.api.v1.ImageKind;
import dev.hypervisor.api.v1.ListImagesRequest;
import dev.hypervisor.api.v1.ListImagesResponse;
import dev.hypervisor.api.v1.PullImageProgress;
import dev.hypervisor.api.v1.PullImageProgress.Phase;
import dev.hypervisor.api.v1.PullImageRequest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** hvctl image pull and image ls. */
class ImageCommandTest {

  private static final String DIGEST =
      "sha256:4f3c2b1a0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a";

  @RegisterExtension
  final CliHarness cli = new CliHarness();

  private final Image nginx = Image.newBuilder()
      .setId(DIGEST)
      .addReferences("docker.io/library/nginx:latest")
      .setKind(ImageKind.IMAGE_KIND_CONTAINER)
      .setSizeBytes(67_108_864)
      .setCreatedAt(Fixtures.ago(Duration.ofHours(3)))
      .build();

  private void servePull() {
    cli.service.pull = (r, progress) -> {
      progress.onNext(step(Phase.RESOLVING, 0, 0).toBuilder().setMessage("resolving nginx:latest").build());
      for (long done = 0; done <= 100; done += 25) {
        progress.onNext(step(Phase.DOWNLOADING, done, 100));
      }
      progress.onNext(step(Phase.VERIFYING, 100, 100));
      progress.onNext(step(Phase.DONE, 100, 100).toBuilder().setImage(nginx).build());
      progress.onCompleted();
    };
  }

  private static PullImageProgress step(Phase phase, long done, long total) {
    return PullImageProgress.newBuilder().setPhase(phase).setBytesDone(done).setBytesTotal(total).build();
  }

  @Test
  void pullPrintsEachPhaseOnceAndTheDigestAtTheEnd() {
    servePull();

    CliHarness.Result result = cli.run("image", "pull", "nginx:latest");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(PullImageRequest.class)).extracting(PullImageRequest::getImage)
        .containsExactly("nginx:latest");
    assertThat(result.out().lines()).containsExactly(
        "RESOLVING resolving nginx:latest",
        "DOWNLOADING",
        "VERIFYING",
        "DONE",
        "Digest: " + DIGEST,
        "Reference: docker.io/library/nginx:latest");
  }

  @Test
  void pullThatEndsWithoutAnImageFails() {
    cli.service.pull = (r, progress) -> {
      progress.onNext(step(Phase.RESOLVING, 0, 0));
      progress.onCompleted();
    };

    CliHarness.Result result = cli.run("image", "pull", "nginx:latest");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).isEqualTo("hvctl: the pull of nginx:latest ended without an image\n");
  }

  @Test
  void pullInJsonModePrintsEachProgressMessageOnItsOwnLine() throws Exception {
    servePull();

    CliHarness.Result result = cli.run("-o", "json", "image", "pull", "nginx:latest");

    List<String> lines = result.out().lines().toList();
    assertThat(lines).hasSize(8);
    PullImageProgress.Builder last = PullImageProgress.newBuilder();
    JsonFormat.parser().merge(lines.get(7), last);
    assertThat(last.getImage()).isEqualTo(nginx);
  }

  @Test
  void listShowsShortDigestsReferencesKindSizeAndAge() {
    cli.service.listImages = r -> ListImagesResponse.newBuilder().addImages(nginx).build();

    CliHarness.Result result = cli.run("image", "ls", "--kind", "container", "--page-size", "5");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.service.requests(ListImagesRequest.class)).containsExactly(ListImagesRequest.newBuilder()
        .setKind(ImageKind.IMAGE_KIND_CONTAINER).setPageSize(5).build());
    assertThat(result.out().lines()).containsExactly(
        "ID             REFERENCES                       KIND        SIZE     CREATED",
        "4f3c2b1a0d9e   docker.io/library/nginx:latest   CONTAINER   64 MiB   3h");
  }

  @Test
  void rmRemovesEachNamedImageAndMapsInUseToExitFive() {
    cli.service.removeImage = r -> {
      if (r.getImage().equals("busybox")) {
        throw io.grpc.Status.FAILED_PRECONDITION.withDescription("image busybox is in use by inst-a")
            .asRuntimeException();
      }
      return com.google.protobuf.Empty.getDefaultInstance();
    };

    CliHarness.Result ok = cli.run("image", "rm", "nginx:latest", DIGEST);
    CliHarness.Result inUse = cli.run("image", "rm", "busybox");

    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(cli.service.requests(dev.hypervisor.api.v1.RemoveImageRequest.class))
        .extracting(dev.hypervisor.api.v1.RemoveImageRequest::getImage)
        .containsExactly("nginx:latest", DIGEST, "busybox");
    assertThat(inUse.exitCode()).isEqualTo(5);
    assertThat(inUse.err()).contains("FAILED_PRECONDITION: image busybox is in use by inst-a");
  }
}
