package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** hvctl builds only the subcommand a command line names; anything it cannot tell gets them all. */
class SubcommandLookupTest {

  @Test
  void findsTheSubcommandPastTheGlobalOptionsAndTheirValues() {
    assertThat(Hvctl.named("ls")).containsExactly(ListCommand.class);
    assertThat(Hvctl.named("list")).as("an alias").containsExactly(ListCommand.class);
    assertThat(Hvctl.named("--addr", "ls", "get", "x")).as("ls is --addr's value").containsExactly(GetCommand.class);
    assertThat(Hvctl.named("-o", "json", "--timeout", "5", "rm", "web")).containsExactly(RemoveCommand.class);
    assertThat(Hvctl.named("--addr=ls", "image", "pull", "busybox")).containsExactly(ImageCommand.class);
  }

  @Test
  void helpTyposAndEmptyLinesGetEverySubcommand() {
    assertThat(Hvctl.named("--help")).isEmpty();
    assertThat(Hvctl.named()).isEmpty();
    assertThat(Hvctl.named("lss")).as("picocli then suggests ls").isEmpty();
    assertThat(Hvctl.named("--", "ls")).isEmpty();
  }

  @Test
  void aSubcommandBuiltAloneStillTakesTheSharedConvertersAndOptions() {
    var harness = new java.io.ByteArrayOutputStream();
    var io = new Io(new java.io.ByteArrayInputStream(new byte[0]), new java.io.PrintStream(harness),
        new java.io.PrintStream(harness), false);
    // 'container' needs the converter registered on the root; an unreachable address then fails UNAVAILABLE (6), not usage (2).
    int exit = new Hvctl(Hvctl::plaintext, io, java.time.Clock.systemUTC())
        .execute("--addr", "127.0.0.1:1", "--timeout", "2", "create", "--type", "container", "--image", "busybox", "web");
    assertThat(exit).as(harness.toString()).isEqualTo(6);
  }
}
