package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

    @TempDir
    Path tmp;

    @Test
    void rotatesToDotOnePastItsSizeKeepingWholeLines() throws Exception {
        Path file = tmp.resolve("audit.log");
        try (AuditLog log = new AuditLog(file, 100, Clock.systemUTC(), new PrometheusRegistry(), null)) {
            for (int i = 0; i < 5; i++) {
                log.write("{\"line\":" + i + ",\"padding\":\"xxxxxxxxxxxxxxxxxxxx\"}");
            }
        }
        assertThat(Files.readAllLines(file)).containsExactly("{\"line\":4,\"padding\":\"xxxxxxxxxxxxxxxxxxxx\"}");
        assertThat(Files.readAllLines(tmp.resolve("audit.log.1"))).hasSize(2).first().asString().startsWith("{\"line\":2");
    }
}
