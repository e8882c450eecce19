package dev.hypervisor.cli;

import dev.hypervisor.api.v1.TerminalSize;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The controlling terminal, driven through {@code stty} on /dev/tty: raw mode for the console,
 * restored on close and, should the JVM exit first, from a shutdown hook.
 */
final class Terminal implements AutoCloseable {

  private static final File TTY = new File("/dev/tty");

  private final String savedState;
  private final Thread restoreHook;
  private final AtomicBoolean restored = new AtomicBoolean();

  private Terminal(String savedState) {
    this.savedState = savedState;
    this.restoreHook = new Thread(this::restore, "hvctl-restore-tty");
  }

  /** Saves the terminal's state and switches it to raw mode without echo. */
  static Terminal enterRaw() throws IOException {
    Terminal terminal = new Terminal(stty("-g").trim());
    Runtime.getRuntime().addShutdownHook(terminal.restoreHook);
    stty("raw", "-echo");
    return terminal;
  }

  /** The terminal's current size, if stty can tell. */
  static Optional<TerminalSize> size() {
    try {
      String[] rowsCols = stty("size").trim().split("\\s+");
      if (rowsCols.length == 2) {
        return Optional.of(TerminalSize.newBuilder()
            .setRows(Integer.parseInt(rowsCols[0]))
            .setCols(Integer.parseInt(rowsCols[1]))
            .build());
      }
    } catch (IOException | NumberFormatException e) {
      // Not a terminal after all, or an stty we do not understand: no size to report.
    }
    return Optional.empty();
  }

  @Override
  public void close() {
    restore();
    try {
      Runtime.getRuntime().removeShutdownHook(restoreHook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook runs restore(), which is idempotent.
    }
  }

  private void restore() {
    if (restored.compareAndSet(false, true)) {
      try {
        stty(savedState);
      } catch (IOException e) {
        // Nothing better to do; the user can run `stty sane`.
      }
    }
  }

  private static String stty(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("stty");
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command)
        .redirectInput(TTY)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IOException("stty " + String.join(" ", args) + " failed");
      }
      return output;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running stty", e);
    }
  }
}
