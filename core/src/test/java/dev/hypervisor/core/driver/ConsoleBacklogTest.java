package dev.hypervisor.core.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
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
}
