package dev.hypervisor.cli;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * The process streams a command talks through, and whether they are attached to a terminal.
 *
 * @param in standard input
 * @param out standard output
 * @param err standard error
 * @param interactive whether stdin and stdout are a terminal (raw console, progress bars)
 */
public record Io(InputStream in, PrintStream out, PrintStream err, boolean interactive) {

  /** The real process streams; interactive when the JVM has a console. */
  public static Io system() {
    return new Io(System.in, System.out, System.err, System.console() != null);
  }
}
