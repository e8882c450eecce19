package dev.hypervisor.cli;

import dev.hypervisor.api.v1.Image;
import dev.hypervisor.api.v1.ImageKind;
import dev.hypervisor.api.v1.ListImagesRequest;
import dev.hypervisor.api.v1.ListImagesResponse;
import java.io.PrintStream;
import java.time.Clock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hvctl image ls}: lists the images stored on the node. */
@Command(name = "ls", aliases = "list", description = "List images.")
final class ImageListCommand extends Subcommand {

  private static final int SHORT_ID = 12;

  @Option(names = "--kind", paramLabel = "KIND", description = "Only this kind: container, disk, kernel.")
  ImageKind kind;

  @Option(names = "--page-size", paramLabel = "N", description = "Images per page (server default 50).")
  int pageSize;

  @Mixin
  AllPages pages;

  @Override
  public Integer call() {
    ListImagesRequest.Builder request = ListImagesRequest.newBuilder()
        .setKind(kind == null ? ImageKind.IMAGE_KIND_UNSPECIFIED : kind)
        .setPageSize(pageSize);
    ListImagesResponse response = pages.fetch("",
        token -> hvctl().unary().listImages(request.setPageToken(token).build()),
        ListImagesResponse::getNextPageToken, ImageListCommand::join);
    hvctl().output().print(response, out -> table(response, hvctl().clock(), out));
    return ExitCode.OK;
  }

  private static void table(ListImagesResponse response, Clock clock, PrintStream out) {
    Table table = new Table("ID", "REFERENCES", "KIND", "SIZE", "CREATED");
    for (Image i : response.getImagesList()) {
      table.row(shortId(i.getId()), String.join(",", i.getReferencesList()),
          EnumNames.shortName(i.getKind()), ByteSize.format(i.getSizeBytes()),
          Age.of(i.getCreatedAt(), clock));
    }
    table.print(out);
  }

  /** Adds the images and the next_page_token of {@code page} to the pages before it. */
  private static ListImagesResponse join(ListImagesResponse joined, ListImagesResponse page) {
    return joined.toBuilder().addAllImages(page.getImagesList())
        .setNextPageToken(page.getNextPageToken()).build();
  }

  /** The first 12 hex digits of the digest, as docker shows image ids. */
  static String shortId(String digest) {
    String hex = digest.substring(digest.indexOf(':') + 1);
    return hex.length() > SHORT_ID ? hex.substring(0, SHORT_ID) : hex;
  }
}
