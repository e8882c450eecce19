package dev.hypervisor.cli;

/** A failure the command detected itself (not a gRPC status), with the exit code it ends the process with. */
final class CommandFailure extends RuntimeException {

  private final int exitCode;

  CommandFailure(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
