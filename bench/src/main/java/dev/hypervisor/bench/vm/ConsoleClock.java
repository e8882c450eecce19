package dev.hypervisor.bench.vm;

import dev.hypervisor.bench.Async;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Stamps (nanoTime) a console's first complete visible line and its first marker; both sides feed
 * their console bytes through one, so "first line" means the same on both.
 */
final class ConsoleClock {

    private final String marker;
    private final StringBuilder text = new StringBuilder();
    private final CompletableFuture<Long> firstLine = new CompletableFuture<>();
    private final CompletableFuture<Long> markerSeen = new CompletableFuture<>();
    private volatile String line = "";

    ConsoleClock(String marker) {
        this.marker = marker;
    }

    /** Feeds {@code clock} from QEMU's serial console socket, on a thread of its own until the caller closes the channel. */
    static SocketChannel follow(Path socket, ConsoleClock clock) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        Thread reader = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            try {
                while (channel.read(buffer.clear()) >= 0) {
                    byte[] data = new byte[buffer.flip().remaining()];
                    buffer.get(data);
                    clock.onData(data);
                }
            } catch (IOException e) {
                // closed after the boot
            }
            clock.fail("the console closed");
        }, "direct-qemu-console");
        reader.setDaemon(true);
        reader.start();
        return channel;
    }

    synchronized void onData(byte[] data) {
        long now = System.nanoTime();
        text.append(new String(data, StandardCharsets.UTF_8));
        if (!firstLine.isDone()) {
            int start = 0;
            for (int nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
                String candidate = text.substring(start, nl).replaceAll("\\p{Cntrl}|\u001b\\[[0-9;?]*[A-Za-z]", "").strip();
                if (!candidate.isEmpty()) {
                    line = candidate;
                    firstLine.complete(now);
                    break;
                }
                start = nl + 1;
            }
        }
        if (!markerSeen.isDone() && text.indexOf(marker) >= 0) {
            markerSeen.complete(now);
        }
    }

    void fail(String why) {
        IllegalStateException e = new IllegalStateException(why);
        firstLine.completeExceptionally(e);
        markerSeen.completeExceptionally(e);
    }

    long awaitFirstLine(Duration timeout) {
        return Async.await(firstLine, "the first console line", timeout, this::shown);
    }

    long awaitMarker(Duration timeout) {
        return Async.await(markerSeen, marker + " on the console", timeout, this::shown);
    }

    /** The first line, without control characters. */
    String firstLineText() {
        return line;
    }

    private synchronized String shown() {
        return "; the console showed:\n" + text;
    }
}
