package dev.hypervisor.qemu.testing;

import dev.hypervisor.core.driver.ConsoleOutput;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A console viewer for tests that keeps all it is shown, and waits for what it must show. */
public final class Screen implements ConsoleOutput {
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    private volatile String end;

    @Override
    public synchronized void onData(byte[] data) {
        seen.writeBytes(data);
    }

    @Override
    public void onEnd(String reason) {
        end = reason;
    }

    public synchronized String text() {
        return seen.toString(StandardCharsets.UTF_8);
    }

    public void await(String marker, Duration timeout) {
        try {
            org.awaitility.Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(50))
                    .until(() -> text().contains(marker));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            String text = text();
            throw new AssertionError("\"" + marker + "\" not on the console within " + timeout + "; its end:\n"
                    + text.substring(Math.max(0, text.length() - 1500)), e);
        }
    }

    public void awaitEnd(Duration timeout) {
        org.awaitility.Awaitility.await().atMost(timeout).until(() -> end != null);
    }
}
