package dev.hypervisor.cli;

import com.google.protobuf.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Prints how long ago a timestamp was, in the largest unit that reads well: 45s, 12m, 3h, 5d. */
final class Age {

  private Age() {}

  /** Returns the age of {@code ts} at {@code clock}'s now, or "-" when the timestamp is unset. */
  static String of(Timestamp ts, Clock clock) {
    if (ts.getSeconds() == 0 && ts.getNanos() == 0) {
      return "-";
    }
    Duration age = Duration.between(instant(ts), clock.instant());
    long seconds = Math.max(0, age.getSeconds());
    if (seconds < 120) {
      return seconds + "s";
    }
    if (seconds < 120 * 60) {
      return seconds / 60 + "m";
    }
    if (seconds < 48 * 3600) {
      return seconds / 3600 + "h";
    }
    return seconds / 86400 + "d";
  }

  /** Returns {@code ts} as an ISO-8601 instant to the second, or "-" when unset. */
  static String iso(Timestamp ts) {
    if (ts.getSeconds() == 0 && ts.getNanos() == 0) {
      return "-";
    }
    return instant(ts).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static Instant instant(Timestamp ts) {
    return Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos());
  }
}
