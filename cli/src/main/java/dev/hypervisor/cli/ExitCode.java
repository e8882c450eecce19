package dev.hypervisor.cli;

import io.grpc.Status;

/** Maps the gRPC status of a failed call to the exit code of hvctl; the table is in {@link Hvctl}. */
public final class ExitCode {

  /** Success. */
  public static final int OK = 0;
  /** A failure no other code describes. */
  public static final int FAILURE = 1;
  /** A bad command line or a request the server rejected as invalid. */
  public static final int USAGE = 2;

  private ExitCode() {}

  /** Returns the exit code for a gRPC status code. */
  public static int of(Status.Code code) {
    return switch (code) {
      case OK -> OK;
      case INVALID_ARGUMENT -> USAGE;
      case NOT_FOUND -> 3;
      case ALREADY_EXISTS -> 4;
      case FAILED_PRECONDITION -> 5;
      case UNAVAILABLE -> 6;
      case DEADLINE_EXCEEDED -> 7;
      case PERMISSION_DENIED, UNAUTHENTICATED -> 8;
      case RESOURCE_EXHAUSTED -> 9;
      case ABORTED -> 10;
      case OUT_OF_RANGE -> 11;
      default -> FAILURE;
    };
  }
}
