package dev.hypervisor.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.Txn;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process killed mid-write loses nothing it acknowledged, and the file opens cleanly afterwards. */
class CrashRecoveryTest {

    private static final int ACKS_BEFORE_KILL = 300;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedCommitSurvivesAKilledProcess() throws Exception {
        Path db = dir.resolve("crash.db");
        Path stderr = dir.resolve("child.err");
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                CrashingWriter.class.getName(), db.toString())
                .redirectError(stderr.toFile())
                .start();
        Map<String, Long> acked = new LinkedHashMap<>();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String line;
            while (acked.size() < ACKS_BEFORE_KILL && System.nanoTime() < deadline && (line = out.readLine()) != null) {
                String[] parts = line.split(" ");
                if (parts.length == 3 && parts[0].equals("ACK")) {
                    acked.put(parts[2], Long.parseLong(parts[1]));
                }
            }
            // SIGKILL while the writers are still committing: no close, no shutdown hook.
            child.destroyForcibly();
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(acked).as("acknowledgements before the kill; child stderr:%n%s", Files.exists(stderr)
                ? Files.readString(stderr) : "").hasSize(ACKS_BEFORE_KILL);

        try (SqliteStore reopened = SqliteStore.open(db, SqliteStoreOptions.defaults())) {
            for (Map.Entry<String, Long> ack : acked.entrySet()) {
                KeyValue kv = reopened.get(ack.getKey()).orElse(null);
                assertThat(kv).as("acknowledged key %s", ack.getKey()).isNotNull();
                assertThat(kv.modRevision()).isEqualTo(ack.getValue());
            }
            long maxAcked = acked.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            assertThat(reopened.revision()).isGreaterThanOrEqualTo(maxAcked);
            long next = reopened.commit(Txn.create().put("/after-crash", new byte[] {1})).join().revision();
            assertThat(next).isEqualTo(reopened.revision()).isGreaterThan(maxAcked);
        }
    }
}
