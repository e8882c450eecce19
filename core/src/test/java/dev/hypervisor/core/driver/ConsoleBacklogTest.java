package dev.hypervisor.core.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConsoleBacklogTest {

    @Test
    void whatFitsComesOutInOrderJoinedIntoChunks() {
        ConsoleBacklog backlog = new ConsoleBacklog(ConsoleBacklog.DEFAULT_CAPACITY);
        backlog.offer("hello ".getBytes());
        backlog.offer("world".getBytes());
        assertThat(new String(backlog.take())).isEqualTo("hello world");
        assertThat(backlog.take()).isNull();
        assertThat(backlog.droppedBytes()).isZero();
    }

    @Test
    void takesAreAtMostOneChunkAndSplitOfferedArrays() {
        ConsoleBacklog backlog = new ConsoleBacklog(ConsoleBacklog.DEFAULT_CAPACITY);
        byte[] big = new byte[ConsoleBacklog.MAX_CHUNK * 2 + 10];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        backlog.offer(big);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] chunk; (chunk = backlog.take()) != null;) {
            assertThat(chunk.length).isLessThanOrEqualTo(ConsoleBacklog.MAX_CHUNK);
            out.writeBytes(chunk);
        }
        assertThat(out.toByteArray()).isEqualTo(big);
        assertThat(backlog.buffered()).isZero();
    }

    @Test
    void beyondTheCapacityTheOldestGoesAndOneMarkerSaysHowMuch() {
        int capacity = 64 * 1024;
        ConsoleBacklog backlog = new ConsoleBacklog(capacity);
        for (int i = 0; i < 100; i++) {
            backlog.offer(String.format("line %05d %s\n", i, "z".repeat(1000)).getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(backlog.buffered()).isEqualTo(capacity);
        long offered = 100 * 1012L;
        assertThat(backlog.droppedBytes()).isEqualTo(offered - capacity);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] chunk; (chunk = backlog.take()) != null;) {
            out.writeBytes(chunk);
        }
        String text = out.toString(StandardCharsets.US_ASCII);
        assertThat(text).startsWith("\r\n[hypervisord: " + (offered - capacity)
                + " bytes of output dropped: this viewer fell behind]\r\n");
        assertThat(text).endsWith("line 00099 " + "z".repeat(1000) + "\n").doesNotContain("line 00000");
        assertThat(text.split("bytes of output dropped", -1)).hasSize(2);
    }

    @Test
    void aMarkerPrecedesWhatIsLeftOfAPartlyDroppedChunk() {
        ConsoleBacklog backlog = new ConsoleBacklog(ConsoleBacklog.MAX_CHUNK);
        backlog.offer(new byte[ConsoleBacklog.MAX_CHUNK + 5]);
        assertThat(new String(backlog.take(), StandardCharsets.US_ASCII)).startsWith("\r\n[hypervisord: 5 bytes");
        assertThat(backlog.take()).isNull();
    }

    @Test
    void aCapacityBelowOneChunkIsRefused() {
        assertThatThrownBy(() -> new ConsoleBacklog(100)).isInstanceOf(IllegalArgumentException.class);
    }
    @Test
    void aViewerThatKeepsTakingHoldsTheWriterBackAndLosesNothing() throws Exception {
        ConsoleBacklog backlog = new ConsoleBacklog(ConsoleBacklog.MAX_CHUNK * 2, Duration.ofSeconds(30));
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 20_000; i++) { // 20 times the capacity
                byte[] line = String.format("line %05d\n", i).getBytes(StandardCharsets.US_ASCII);
                sent.writeBytes(line);
                backlog.offer(line);
            }
        });
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (!writer.isDone() || backlog.buffered() > 0) {
            byte[] chunk = backlog.take();
            if (chunk != null) {
                got.writeBytes(chunk);
            }
            Thread.sleep(1); // a slow viewer
            assertThat(backlog.buffered()).isLessThanOrEqualTo(ConsoleBacklog.MAX_CHUNK * 2);
        }
        writer.get(10, TimeUnit.SECONDS);
        assertThat(got.toByteArray()).isEqualTo(sent.toByteArray());
        assertThat(backlog.droppedBytes()).isZero();
    }

    @Test
    void aViewerStillBehindAfterThePatienceIsLeftBehindUntilItCatchesUp() {
        Duration patience = Duration.ofMillis(300);
        int capacity = ConsoleBacklog.MAX_CHUNK * 4; // a take sends a quarter of it
        ConsoleBacklog backlog = new ConsoleBacklog(capacity, patience);
        backlog.offer(new byte[capacity]);
        assertThat(timeToOffer(backlog, 10)).as("the first offer past the capacity waited").isGreaterThanOrEqualTo(patience);
        assertThat(backlog.droppedBytes()).isEqualTo(10);
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(patience.dividedBy(2), () -> {
            for (int i = 0; i < 100; i++) {
                backlog.offer(new byte[1000]);
            }
        }, "a viewer left behind is not waited for again");
        assertThat(backlog.droppedBytes()).isEqualTo(100_010);

        backlog.take(); // a quarter sent: still behind
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(patience.dividedBy(2), () -> {
            backlog.offer(new byte[ConsoleBacklog.MAX_CHUNK]);
            backlog.offer(new byte[10]);
        }, "still left behind");
        backlog.take();
        backlog.take(); // half sent: caught up
        backlog.offer(new byte[ConsoleBacklog.MAX_CHUNK]);
        backlog.offer(new byte[ConsoleBacklog.MAX_CHUNK]);
        assertThat(backlog.buffered()).isEqualTo(capacity);
        assertThat(timeToOffer(backlog, 10)).as("waited for again once caught up").isGreaterThanOrEqualTo(patience);
    }

    private static Duration timeToOffer(ConsoleBacklog backlog, int bytes) {
        long start = System.nanoTime();
        backlog.offer(new byte[bytes]);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Test
    void closingReleasesAWriterWaitingForRoom() throws Exception {
        ConsoleBacklog backlog = new ConsoleBacklog(ConsoleBacklog.MAX_CHUNK, Duration.ofHours(1));
        backlog.offer(new byte[ConsoleBacklog.MAX_CHUNK]);
        backlog.take(); // the viewer read just now, so a full backlog makes the writer wait
        backlog.offer(new byte[ConsoleBacklog.MAX_CHUNK]);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> backlog.offer(new byte[1]));
        Thread.sleep(200);
        assertThat(writer).as("waiting for the viewer").isNotDone();
        backlog.close();
        writer.get(5, TimeUnit.SECONDS);
        assertThat(backlog.droppedBytes()).isEqualTo(1);
    }

    @Test
    void aNegativePatienceIsRefused() {
        assertThatThrownBy(() -> new ConsoleBacklog(ConsoleBacklog.MAX_CHUNK, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
