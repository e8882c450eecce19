package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.Instance;
import io.grpc.Status;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How failures become one stderr line and an exit code. */
class ErrorMappingTest {

  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @ParameterizedTest(name = "{0} exits {1}")
  @CsvSource({
      "INVALID_ARGUMENT, 2",
      "NOT_FOUND, 3",
      "ALREADY_EXISTS, 4",
      "FAILED_PRECONDITION, 5",
      "UNAVAILABLE, 6",
      "DEADLINE_EXCEEDED, 7",
      "PERMISSION_DENIED, 8",
      "UNAUTHENTICATED, 8",
      "RESOURCE_EXHAUSTED, 9",
      "ABORTED, 10",
      "OUT_OF_RANGE, 11",
      "INTERNAL, 1",
      "UNKNOWN, 1",
      "UNIMPLEMENTED, 1",
  })
  void eachStatusMapsToItsExitCodeAndOneStderrLine(Status.Code code, int exitCode) {
    cli.service.get = r -> {
      throw Status.fromCode(code).withDescription("instance " + r.getInstanceId() + " says no").asRuntimeException();
    };

    CliHarness.Result result = cli.run("get", "inst-abc");

    assertThat(result.exitCode()).isEqualTo(exitCode);
    assertThat(result.err()).isEqualTo("hvctl: " + code + ": instance inst-abc says no\n");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void exitCodeTableCoversEveryStatusCode() {
    for (Status.Code code : Status.Code.values()) {
      assertThat(ExitCode.of(code)).as(code.name()).isBetween(0, 11);
    }
    assertThat(ExitCode.of(Status.Code.OK)).isZero();
    assertThat(ExitCode.of(Status.Code.CANCELLED)).isEqualTo(1);
  }

  @Test
  void multiLineDescriptionsArePrintedOnOneLine() {
    cli.service.get = r -> {
      throw Status.INVALID_ARGUMENT.withDescription("name: too long\nspec.image: required").asRuntimeException();
    };

    CliHarness.Result result = cli.run("get", "inst-abc");

    assertThat(result.err()).isEqualTo("hvctl: INVALID_ARGUMENT: name: too long spec.image: required\n");
  }

  @Test
  void unreachableDaemonExitsSixNamingTheAddress() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }

    CliHarness.Result result = CliHarness.runWithNetwork("--addr", "127.0.0.1:" + port, "ls");

    assertThat(result.exitCode()).isEqualTo(6);
    assertThat(result.err())
        .startsWith("hvctl: UNAVAILABLE: cannot reach hypervisord at 127.0.0.1:" + port)
        .hasLineCount(1);
  }

  @Test
  void unaryCallsGiveUpAfterTheTimeoutWithExitSeven() throws InterruptedException {
    CountDownLatch never = new CountDownLatch(1);
    cli.service.get = r -> {
      try {
        never.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Instance.getDefaultInstance();
    };

    long start = System.nanoTime();
    CliHarness.Result result = cli.run("--timeout", "0.3", "get", "inst-abc");
    never.countDown();

    assertThat(result.exitCode()).isEqualTo(7);
    assertThat(result.err()).startsWith("hvctl: DEADLINE_EXCEEDED: ");
    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
  }

  @Test
  void usageErrorsExitTwoWithOneLine() {
    CliHarness.Result result = cli.run("ls", "--state", "sleeping");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("hvctl: Invalid value for option '--state': 'sleeping' is not one of")
        .hasLineCount(1);
    assertThat(cli.service.requests).isEmpty();
  }

  @Test
  void unknownCommandExitsTwo() {
    CliHarness.Result result = cli.run("launch", "web");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("hvctl: Unmatched argument");
  }
}
