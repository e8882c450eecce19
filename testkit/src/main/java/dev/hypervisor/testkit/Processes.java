package dev.hypervisor.testkit;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Helpers for the tools tests start (registries, etcd members). */
public final class Processes {

    private Processes() {}

    /** Waits up to {@code patience} for {@code p} to exit, then kills it (-9) and waits a little more. */
    public static void awaitOrKill(Process p, Duration patience) {
        try {
            if (!p.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
