package dev.hypervisor.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** The --force and --timeout options of stop and restart, and the call deadline they need. */
final class GracefulStop {

  /** What the runtimes wait at most when timeout_seconds is 0 (60 s for VMs), per the proto. */
  private static final int RUNTIME_DEFAULT_SECONDS = 60;
  private static final int MARGIN_SECONDS = 15;

  @Option(names = "--force", description = "Kill at once instead of a graceful stop.")
  boolean force;

  @Option(names = "--timeout", paramLabel = "SECONDS",
      description = "Graceful stop time before a kill (0: the runtime default, at most 3600).")
  int timeoutSeconds;

  /**
   * The shortest deadline for the call: the server may answer only once the guest is down, so a
   * graceful stop must not be cut short by the global --timeout.
   */
  Duration minimumDeadline() {
    if (force) {
      return Duration.ZERO;
    }
    int grace = timeoutSeconds > 0 ? timeoutSeconds : RUNTIME_DEFAULT_SECONDS;
    return Duration.ofSeconds(grace + MARGIN_SECONDS);
  }
}
