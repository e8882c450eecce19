package dev.hypervisor.cli;

import dev.hypervisor.api.v1.GetInstanceStatsRequest;
import dev.hypervisor.api.v1.InstanceStats;
import java.io.PrintStream;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hvctl stats}: one resource usage sample, or one every two seconds with --watch. */
@Command(name = "stats", description = "Show resource usage of a running instance.")
final class StatsCommand extends InstanceCommand {

  private static final String[] HEADERS = {"ID", "CPU", "MEMORY", "MEM%", "DISK READ/WRITE", "NET RX/TX"};
  private static final String ROW = "%-16s %-8s %-22s %-6s %-24s %s%n";

  @Option(names = "--watch", description = "Print a sample every 2 seconds until Ctrl-C.")
  boolean watch;

  @Option(names = "--interval", hidden = true, defaultValue = "2000", description = "Milliseconds between samples.")
  long intervalMillis;

  @Option(names = "--count", hidden = true, description = "Stop --watch after this many samples.")
  int count;

  @Override
  public Integer call() throws InterruptedException {
    GetInstanceStatsRequest request = GetInstanceStatsRequest.newBuilder().setInstanceId(id).build();
    Output output = hvctl().output();
    if (!watch) {
      InstanceStats stats = hvctl().unary().getInstanceStats(request);
      output.print(stats, out -> {
        header(out);
        row(stats, out);
      });
      return ExitCode.OK;
    }
    if (!output.json()) {
      header(output.out());
    }
    for (int n = 1; ; n++) {
      InstanceStats stats = hvctl().unary().getInstanceStats(request);
      output.printStreamed(stats, out -> row(stats, out));
      if (count > 0 && n >= count) {
        return ExitCode.OK;
      }
      Thread.sleep(intervalMillis);
    }
  }

  private static void header(PrintStream out) {
    out.printf(ROW, (Object[]) HEADERS);
  }

  static void row(InstanceStats s, PrintStream out) {
    String memory = ByteSize.format(s.getMemoryUsageBytes())
        + (s.getMemoryLimitBytes() > 0 ? " / " + ByteSize.format(s.getMemoryLimitBytes()) : "");
    String memoryPercent = s.getMemoryLimitBytes() > 0
        ? percent(100.0 * s.getMemoryUsageBytes() / s.getMemoryLimitBytes())
        : "-";
    out.printf(ROW, s.getInstanceId(), percent(s.getCpuUsagePercent()), memory, memoryPercent,
        ByteSize.format(s.getDiskReadBytes()) + " / " + ByteSize.format(s.getDiskWriteBytes()),
        ByteSize.format(s.getNetworkRxBytes()) + " / " + ByteSize.format(s.getNetworkTxBytes()));
  }

  private static String percent(double value) {
    return String.format(Locale.ROOT, "%.1f%%", value);
  }
}
