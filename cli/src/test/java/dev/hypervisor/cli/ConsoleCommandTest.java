package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.ConsoleOutput;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** hvctl console when stdin is not a terminal. */
class ConsoleCommandTest {

  @RegisterExtension
  final CliHarness cli = new CliHarness();

  private final List<ConsoleInput> received = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> clientHalfClosed = new CompletableFuture<>();

  /** A console that replays a prompt, echoes input upper-cased, and ends when the client half-closes. */
  private void serveEchoConsole() {
    cli.service.console = output -> {
      output.onNext(out("login: "));
      return new StreamObserver<>() {
        @Override
        public void onNext(ConsoleInput input) {
          received.add(input);
          if (!input.getData().isEmpty()) {
            output.onNext(out(input.getData().toStringUtf8().toUpperCase()));
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          clientHalfClosed.complete(null);
          output.onCompleted();
        }
      };
    };
  }

  private static ConsoleOutput out(String text) {
    return ConsoleOutput.newBuilder().setData(ByteString.copyFromUtf8(text)).build();
  }

  @Test
  void sendsTheInstanceIdFirstThenStdinBytesAndPrintsTheOutput() {
    serveEchoConsole();
    ByteArrayInputStream stdin = new ByteArrayInputStream("root\n".getBytes(StandardCharsets.UTF_8));

    CliHarness.Result result = cli.run(stdin, "console", "inst-abc");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(received).isNotEmpty();
    assertThat(received.get(0)).isEqualTo(ConsoleInput.newBuilder().setInstanceId("inst-abc").build());
    ByteString sent = received.stream().skip(1).map(ConsoleInput::getData).reduce(ByteString.EMPTY, ByteString::concat);
    assertThat(sent.toStringUtf8()).isEqualTo("root\n");
    assertThat(result.out()).isEqualTo("login: ROOT\n");
    assertThat(clientHalfClosed).as("half-closed after stdin EOF").isDone();
    assertThat(result.err()).isEmpty();
  }

  @Test
  void keepsPrintingOutputThatArrivesShortlyAfterStdinEnds() {
    ScheduledExecutorService guest = Executors.newSingleThreadScheduledExecutor();
    cli.service.console = output -> new StreamObserver<>() {
      private boolean closed;

      @Override
      public void onNext(ConsoleInput input) {
        if (!input.getData().isEmpty()) {
          // A slow guest: the answer comes 50 ms after the input, well inside the 300 ms grace.
          guest.schedule(() -> {
            synchronized (this) {
              if (!closed) {
                output.onNext(out("total 0\n"));
              }
            }
          }, 50, TimeUnit.MILLISECONDS);
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public synchronized void onCompleted() {
        closed = true;
        output.onCompleted();
      }
    };
    ByteArrayInputStream stdin = new ByteArrayInputStream("ls\n".getBytes(StandardCharsets.UTF_8));

    CliHarness.Result result = cli.run(stdin, "console", "inst-abc");
    guest.shutdownNow();

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).isEqualTo("total 0\n");
  }

  @Test
  void exitsWhenTheServerEndsTheStreamWhileStdinStaysOpen() throws Exception {
    cli.service.console = output -> new StreamObserver<>() {
      @Override
      public void onNext(ConsoleInput input) {
        if (!input.getData().isEmpty()) {
          output.onNext(out("bye\n"));
          output.onCompleted();
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
    PipedOutputStream keyboard = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(keyboard);
    keyboard.write("exit\n".getBytes(StandardCharsets.UTF_8));
    keyboard.flush();

    CliHarness.Result result = CompletableFuture.supplyAsync(() -> cli.run(stdin, "console", "inst-abc"))
        .get(5, TimeUnit.SECONDS);
    keyboard.close();

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).isEqualTo("bye\n");
  }

  @Test
  void aConsoleThatFailsExitsWithItsStatus() {
    cli.service.console = output -> {
      output.onError(Status.FAILED_PRECONDITION.withDescription("instance inst-abc is STOPPED").asRuntimeException());
      return new StreamObserver<>() {
        @Override
        public void onNext(ConsoleInput input) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    };

    CliHarness.Result result = cli.run("console", "inst-abc");

    assertThat(result.exitCode()).isEqualTo(5);
    assertThat(result.err()).isEqualTo("hvctl: FAILED_PRECONDITION: instance inst-abc is STOPPED\n");
  }
}
