package dev.hypervisor.cli;

import dev.hypervisor.api.v1.PullImageProgress;
import dev.hypervisor.api.v1.PullImageProgress.Phase;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Shows pull progress: on a terminal one line redrawn with \r at most ten times a second,
 * otherwise a line per phase change.
 */
final class PullProgressView {

  private static final long REDRAW_NANOS = 100_000_000L;
  private static final int BAR_WIDTH = 30;

  private final PrintStream out;
  private final boolean terminal;
  private final LongSupplier nanoTime;
  private Phase phase;
  private long lastDraw;
  private boolean drawn;
  private long startNanos;
  private long startBytes = -1;

  PullProgressView(PrintStream out, boolean terminal, LongSupplier nanoTime) {
    this.out = out;
    this.terminal = terminal;
    this.nanoTime = nanoTime;
  }

  void update(PullImageProgress p) {
    boolean phaseChanged = p.getPhase() != phase;
    phase = p.getPhase();
    long now = nanoTime.getAsLong();
    if (startBytes < 0 && p.getPhase() == Phase.DOWNLOADING) {
      startBytes = p.getBytesDone();
      startNanos = now;
    }
    if (!terminal) {
      if (phaseChanged) {
        out.println(EnumNames.shortName(p.getPhase()) + (p.getMessage().isEmpty() ? "" : " " + p.getMessage()));
      }
      return;
    }
    if (phaseChanged || p.getPhase() == Phase.DONE || now - lastDraw >= REDRAW_NANOS) {
      double seconds = (now - startNanos) / 1e9;
      double speed = startBytes >= 0 && seconds > 0 ? (p.getBytesDone() - startBytes) / seconds : 0;
      // \033[K clears what a longer previous line left behind.
      out.print("\r" + line(p, speed) + "\033[K");
      out.flush();
      lastDraw = now;
      drawn = true;
    }
  }

  /** Ends the redrawn line, so that what follows starts on a fresh one. */
  void finish() {
    if (drawn) {
      out.println();
      out.flush();
    }
  }

  /** Renders one progress line: phase, bar, bytes done/total, speed and ETA, as far as they are known. */
  static String line(PullImageProgress p, double bytesPerSecond) {
    StringBuilder line = new StringBuilder(String.format("%-11s", EnumNames.shortName(p.getPhase())));
    long done = p.getBytesDone();
    long total = p.getBytesTotal();
    if (total > 0) {
      int filled = (int) Math.min(BAR_WIDTH, BAR_WIDTH * done / total);
      line.append(" [").append("=".repeat(filled));
      if (filled < BAR_WIDTH) {
        line.append('>').append(" ".repeat(BAR_WIDTH - filled - 1));
      }
      line.append("] ").append(ByteSize.format(done)).append(" / ").append(ByteSize.format(total));
    } else if (done > 0) {
      line.append(' ').append(ByteSize.format(done));
    }
    if (bytesPerSecond > 0 && p.getPhase() == Phase.DOWNLOADING) {
      line.append("  ").append(ByteSize.format((long) bytesPerSecond)).append("/s");
      if (total > done) {
        long eta = (long) Math.ceil((total - done) / bytesPerSecond);
        line.append(String.format(Locale.ROOT, "  ETA %d:%02d", eta / 60, eta % 60));
      }
    }
    if (!p.getMessage().isEmpty() && total <= 0) {
      line.append("  ").append(p.getMessage());
    }
    return line.toString();
  }
}
