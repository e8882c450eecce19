package dev.hypervisor.cli;

import dev.hypervisor.api.v1.TerminalSize;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;

/**
 * {@code hvctl console}: attaches the local terminal to an instance's console; Ctrl-] detaches.
 * When stdin is not a terminal, streams stdin to the console until EOF instead.
 */
@Command(name = "console", description = "Attach to an instance's console; Ctrl-] detaches.")
final class ConsoleCommand extends InstanceCommand {

  /** Ctrl-], as in telnet and virsh console. */
  static final int DETACH_KEY = 0x1d;
  /** How long output may still arrive after stdin ends before we half-close. */
  static final long EOF_GRACE_MILLIS = 300;
  /** How long a detach waits for pending input to go out. */
  static final long DETACH_GRACE_MILLIS = 100;

  /** Why the input side stopped. */
  private enum InputEnd { EOF, DETACH }

  @Override
  public Integer call() throws IOException {
    Io io = hvctl().io();
    if (!io.interactive()) {
      return finish(attach(io.in(), false), false);
    }
    try (Terminal terminal = Terminal.enterRaw()) {
      Attached attached = attach(io.in(), true);
      AtomicReference<Optional<TerminalSize>> lastSize = new AtomicReference<>(Terminal.size());
      lastSize.get().ifPresent(attached.session::resize);
      try (WindowResizes resizes = WindowResizes.watch(() -> {
        Optional<TerminalSize> size = Terminal.size();
        if (size.isPresent() && !size.equals(lastSize.getAndSet(size))) {
          attached.session.resize(size.get());
        }
      })) {
        return finish(attached, true);
      }
    }
  }

  /** A console call and the future of the thread that feeds it stdin. */
  private record Attached(ConsoleSession session, CompletableFuture<InputEnd> input) {}

  private Attached attach(InputStream in, boolean detachKey) {
    ConsoleSession session = ConsoleSession.attach(hvctl().async(), id, hvctl().io().out());
    ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "hvctl-console-stdin");
      // A read blocked on stdin cannot be interrupted; it must not keep the JVM alive.
      thread.setDaemon(true);
      return thread;
    });
    CompletableFuture<InputEnd> input = CompletableFuture.supplyAsync(() -> pump(in, session, detachKey), reader);
    reader.shutdown();
    return new Attached(session, input);
  }

  private int finish(Attached attached, boolean interactive) {
    ConsoleSession session = attached.session;
    CompletableFuture.anyOf(session.ended(), attached.input).join();
    if (!session.ended().isDone()) {
      if (attached.input.join() == InputEnd.DETACH) {
        // Half-close first so input typed just before Ctrl-] still reaches the console.
        session.halfClose();
        session.awaitEnd(DETACH_GRACE_MILLIS);
        session.cancel();
        return ExitCode.OK;
      }
      if (!session.awaitEnd(EOF_GRACE_MILLIS)) {
        session.halfClose();
        session.awaitEnd(EOF_GRACE_MILLIS);
        session.cancel();
        return ExitCode.OK;
      }
    }
    Status status = session.ended().join();
    if (interactive && status.isOk()) {
      // The guest side ended; raw mode swallowed the newline the user would otherwise see.
      hvctl().io().err().print("\r\n");
    }
    if (!status.isOk()) {
      throw status.asRuntimeException();
    }
    return ExitCode.OK;
  }

  private static InputEnd pump(InputStream in, ConsoleSession session, boolean detachKey) {
    byte[] buffer = new byte[4096];
    try {
      int n;
      while ((n = in.read(buffer)) >= 0 && !session.ended().isDone()) {
        int detachAt = detachKey ? indexOf(buffer, n, DETACH_KEY) : -1;
        int length = detachAt >= 0 ? detachAt : n;
        if (length > 0) {
          session.sendData(buffer, 0, length);
        }
        if (detachAt >= 0) {
          return InputEnd.DETACH;
        }
      }
    } catch (IOException e) {
      // A closed or broken stdin ends the input like EOF does.
    }
    return InputEnd.EOF;
  }

  private static int indexOf(byte[] buffer, int length, int value) {
    for (int i = 0; i < length; i++) {
      if (buffer[i] == value) {
        return i;
      }
    }
    return -1;
  }
}
