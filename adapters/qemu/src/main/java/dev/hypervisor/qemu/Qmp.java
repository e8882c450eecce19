package dev.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of QEMU's machine protocol (QMP) on its unix socket: one JSON object per line,
 * commands tagged with an id so that their replies can be told from the asynchronous events
 * that arrive in between. QEMU serves one QMP client per socket, so the driver keeps one open
 * per running VM; its end of file means QEMU is gone. Reads and writes use the channel
 * directly (not its streams, which share one lock) so a command can go out while the reader waits.
 */
final class Qmp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Qmp.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    private final SocketChannel channel;
    private final String name;
    private final Consumer<JsonNode> events;
    private final Runnable onClose;
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    private Qmp(SocketChannel channel, String name, Consumer<JsonNode> events, Runnable onClose) {
        this.channel = channel;
        this.name = name;
        this.events = events;
        this.onClose = onClose;
    }

    /**
     * Connects, reads the greeting and leaves capabilities negotiation mode. {@code events}
     * gets every event ({@code {"event": ..., "data": ...}}) on the reader thread;
     * {@code onClose} runs once when the connection ends, whoever ended it.
     */
    static Qmp connect(Path socket, String name, Consumer<JsonNode> events, Runnable onClose) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        Qmp qmp = new Qmp(channel, name, events, onClose);
        Thread reader = new Thread(qmp::read, "qmp-" + name);
        reader.setDaemon(true);
        reader.start();
        try {
            await(qmp.greeting, COMMAND_TIMEOUT, "the QMP greeting");
            qmp.execute("qmp_capabilities");
        } catch (IOException e) {
            qmp.close();
            throw e;
        }
        return qmp;
    }

    JsonNode execute(String command) throws IOException {
        return execute(command, Map.of());
    }

    /** Runs the command and returns its {@code return} value; an {@code error} reply becomes an IOException. */
    JsonNode execute(String command, Map<String, ?> arguments) throws IOException {
        if (closed.get()) {
            throw new IOException("QMP connection to " + name + " is closed");
        }
        String id = Long.toString(ids.incrementAndGet());
        ObjectNode request = JSON.createObjectNode().put("execute", command).put("id", id);
        if (!arguments.isEmpty()) {
            request.set("arguments", JSON.valueToTree(arguments));
        }
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            ByteBuffer bytes = ByteBuffer.wrap((JSON.writeValueAsString(request) + "\n").getBytes());
            synchronized (channel) {
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            }
            JsonNode answer = await(reply, COMMAND_TIMEOUT, command);
            if (answer.has("error")) {
                throw new IOException(command + ": " + answer.path("error").path("desc").asText("failed"));
            }
            return answer.path("return");
        } finally {
            pending.remove(id);
        }
    }

    boolean closed() {
        return closed.get();
    }

    private void read() {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (channel.read(buffer.clear()) > 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    byte b = buffer.get();
                    if (b == '\n') {
                        dispatch(line.toByteArray());
                        line.reset();
                    } else {
                        line.write(b);
                    }
                }
            }
        } catch (IOException e) {
            if (!closed.get()) {
                LOG.debug("QMP of {}: {}", name, e.toString());
            }
        }
        close();
    }

    private void dispatch(byte[] message) {
        JsonNode node;
        try {
            node = JSON.readTree(message);
        } catch (IOException e) {
            LOG.warn("QMP of {} sent something unreadable: {}", name, new String(message));
            return;
        }
        if (node == null || !node.isObject()) {
            return;
        }
        if (node.has("QMP")) {
            greeting.complete(node);
        } else if (node.has("event")) {
            try {
                events.accept(node);
            } catch (RuntimeException e) {
                LOG.warn("handling QMP event {} of {} failed", node.path("event").asText(), name, e);
            }
        } else {
            CompletableFuture<JsonNode> reply = pending.get(node.path("id").asText(""));
            if (reply != null) {
                reply.complete(node);
            }
        }
    }

    private static JsonNode await(CompletableFuture<JsonNode> future, Duration timeout, String what) throws IOException {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + what, e);
        } catch (ExecutionException e) {
            throw new IOException(what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no answer to " + what + " within " + timeout.toSeconds() + " s");
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing QMP of {}: {}", name, e.toString());
        }
        IOException gone = new IOException("the QMP connection closed (QEMU exited)");
        greeting.completeExceptionally(gone);
        pending.values().forEach(reply -> reply.completeExceptionally(gone));
        onClose.run();
    }
}
