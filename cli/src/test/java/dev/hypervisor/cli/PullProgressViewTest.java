package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.PullImageProgress;
import dev.hypervisor.api.v1.PullImageProgress.Phase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The pull progress line and its redraw rate. */
class PullProgressViewTest {

  private static PullImageProgress progress(Phase phase, long done, long total) {
    return PullImageProgress.newBuilder().setPhase(phase).setBytesDone(done).setBytesTotal(total).build();
  }

  @Test
  void rendersBarBytesSpeedAndEta() {
    String line = PullProgressView.line(progress(Phase.DOWNLOADING, 50L << 20, 100L << 20), 5 << 20);
    assertThat(line).startsWith("DOWNLOADING [===============>")
        .contains("] 50 MiB / 100 MiB")
        .contains("5 MiB/s")
        .endsWith("ETA 0:10");
  }

  @Test
  void rendersOnlyBytesWhileTheTotalIsUnknown() {
    assertThat(PullProgressView.line(progress(Phase.DOWNLOADING, 2048, 0), 0))
        .isEqualTo("DOWNLOADING 2 KiB");
  }

  @Test
  void redrawsOnATerminalAtMostTenTimesASecond() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong now = new AtomicLong();
    PullProgressView view = new PullProgressView(new PrintStream(bytes, true), true, now::get);
    view.update(progress(Phase.DOWNLOADING, 0, 1000));
    for (int i = 1; i <= 10; i++) {
      now.addAndGet(20_000_000L);  // 20 ms apart: 200 ms in all
      view.update(progress(Phase.DOWNLOADING, i * 10, 1000));
    }
    view.finish();
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text.chars().filter(c -> c == '\r').count()).isEqualTo(3);
    assertThat(text).endsWith("\n").doesNotContain("\n\r");
  }

  @Test
  void printsALinePerPhaseWhenNotATerminal() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PullProgressView view = new PullProgressView(new PrintStream(bytes, true), false, () -> 0);
    view.update(progress(Phase.RESOLVING, 0, 0).toBuilder().setMessage("nginx:latest").build());
    view.update(progress(Phase.DOWNLOADING, 1, 10));
    view.update(progress(Phase.DOWNLOADING, 5, 10));
    view.update(progress(Phase.UNPACKING, 10, 10));
    view.finish();
    assertThat(bytes.toString(StandardCharsets.UTF_8).lines())
        .containsExactly("RESOLVING nginx:latest", "DOWNLOADING", "UNPACKING");
  }
}
