package dev.hypervisor.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostCommandTest {

    @TempDir
    Path tmp;

    @Test
    void outputAndExitCodeAndErrorsApartWhenAsked() throws IOException {
        assertThat(HostCommand.output(null, java.util.List.of("sh", "-c", "echo out; echo err >&2"))).isEqualTo("out\nerr");
        HostCommand.Result apart = HostCommand.of("sh", "-c", "echo out; echo err >&2; exit 3").separatingErrors().call();
        assertThat(apart).isEqualTo(new HostCommand.Result(3, "out", "err"));
        assertThatThrownBy(() -> HostCommand.of("sh", "-c", "echo broken; exit 2").run())
                .isInstanceOf(IOException.class).hasMessage("sh -c echo broken; exit 2 failed (exit 2): broken");
        assertThat(HostCommand.of("pwd").in(tmp).output()).isEqualTo(tmp.toRealPath().toString());
        assertThat(HostCommand.of("sh", "-c", "echo $GREETING").env("GREETING", "hello").output()).isEqualTo("hello");
    }

    @Test
    void aToolThatHangsIsKilledWithItsChildrenAtItsDeadline() throws Exception {
        Path childPid = tmp.resolve("child.pid");
        long started = System.nanoTime();
        assertThatThrownBy(() -> HostCommand.of("sh", "-c", "sleep 1000 & echo $! > " + childPid + "; wait")
                .timeout(Duration.ofMillis(500)).call())
                .isInstanceOf(IOException.class).hasMessage("sh did not finish within 500 ms: killed");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        long child = Long.parseLong(Files.readString(childPid).strip());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void aToolThatLeavesAChildHoldingItsPipeOpenReturnsWhatItPrinted() throws IOException {
        long started = System.nanoTime();
        HostCommand.Result result = HostCommand.of("sh", "-c", "sleep 30 & echo started").timeout(Duration.ofSeconds(20)).call();
        assertThat(result).isEqualTo(new HostCommand.Result(0, "started", ""));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("not the child's 30 s").isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void outputCanGoToTheEndOfALog() throws IOException {
        Path log = Files.writeString(tmp.resolve("tool.log"), "earlier\n");
        assertThat(HostCommand.of("sh", "-c", "echo now; echo oops >&2").appendingOutputTo(log).call().exitCode()).isZero();
        assertThat(Files.readString(log)).isEqualTo("earlier\nnow\noops\n");
    }

    @Test
    void aMissingToolIsNamed() {
        assertThatThrownBy(() -> HostCommand.of("/nonexistent/tool").call())
                .isInstanceOf(IOException.class).hasMessageStartingWith("cannot run tool: ");
    }
}
