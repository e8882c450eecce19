package dev.hypervisor.cli;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.io.PrintStream;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Turns every failure into one line on stderr, {@code hvctl: <CODE>: <description>}, and an exit
 * code from {@link ExitCode}.
 */
final class FailureHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

  private final PrintStream err;
  private final Supplier<String> address;

  FailureHandler(PrintStream err, Supplier<String> address) {
    this.err = err;
    this.address = address;
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    Status status = statusOf(ex);
    if (status != null) {
      report(status.getCode() + ": " + describe(status));
      return ExitCode.of(status.getCode());
    }
    if (ex instanceof CommandFailure failure) {
      report(failure.getMessage());
      return failure.exitCode();
    }
    if (ex instanceof IllegalArgumentException) {
      report(ex.getMessage());
      return ExitCode.USAGE;
    }
    report(ex.toString());
    return ExitCode.FAILURE;
  }

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    String command = ex.getCommandLine().getCommandSpec().qualifiedName();
    report(ex.getMessage() + " (see '" + command + " --help')");
    return ExitCode.USAGE;
  }

  /** The message for a status; a client-side UNAVAILABLE carries a cause and means no daemon answered. */
  private String describe(Status status) {
    if (status.getCode() == Status.Code.UNAVAILABLE && status.getCause() != null) {
      return "cannot reach hypervisord at " + address.get() + ": " + rootMessage(status.getCause());
    }
    if (status.getDescription() != null && !status.getDescription().isBlank()) {
      return status.getDescription();
    }
    return status.getCause() != null ? rootMessage(status.getCause()) : "(no description)";
  }

  private void report(String message) {
    // One line, whatever the server put in the description.
    err.println("hvctl: " + message.replaceAll("\\s*[\\r\\n]+\\s*", " "));
    err.flush();
  }

  private static Status statusOf(Throwable t) {
    for (Throwable cause = t; cause != null; cause = cause.getCause()) {
      if (cause instanceof StatusRuntimeException sre) {
        return sre.getStatus();
      }
      if (cause instanceof StatusException se) {
        return se.getStatus();
      }
    }
    return null;
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
  }
}
