package dev.hypervisor.container;

import dev.hypervisor.core.driver.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicBoolean;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One viewer on a container's pty, through conmon's attach socket: a {@code SOCK_SEQPACKET}
 * unix socket (opened with junixsocket, as the JDK's unix channels only speak streams) on which
 * every packet conmon sends starts with a byte naming the stream; what the viewer sends goes
 * to the pty as typed. conmon serves any number of viewers at once, each gets all output, and
 * a viewer leaving does not touch the container. Resizes go through conmon's {@code ctl} FIFO.
 */
final class ContainerConsole implements ConsoleSession {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerConsole.class);
    private static final int PACKET_BYTES = 8192 + 1; // conmon's STDIO_BUF_SIZE plus the stream byte
    private static final byte STDOUT = 2;
    private static final byte STDERR = 3;
    private static final int RESIZE_EVENT = 1;

    private final ContainerDirs dirs;
    private final AFUNIXDatagramChannel channel;
    private final ConsoleOutput output;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ContainerConsole(ContainerDirs dirs, AFUNIXDatagramChannel channel, ConsoleOutput output) {
        this.dirs = dirs;
        this.channel = channel;
        this.output = output;
    }

    /** Connects first, then replays the log's tail, so nothing printed in between is missed. */
    static ContainerConsole attach(ContainerDirs dirs, ConsoleOutput output) throws IOException {
        if (!Files.exists(dirs.attachSocket())) {
            throw new IOException("the container has no attach socket (is conmon running?)");
        }
        AFUNIXDatagramChannel channel = AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_SEQPACKET);
        try {
            channel.connect(AFUNIXSocketAddress.of(dirs.attachSocket()));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        ContainerConsole console = new ContainerConsole(dirs, channel, output);
        byte[] replay = ConsoleLog.tail(dirs.consoleLog());
        if (replay.length > 0) {
            output.onData(replay);
        }
        Thread reader = new Thread(console::pump, "console-" + dirs.id());
        reader.setDaemon(true);
        reader.start();
        return console;
    }

    private void pump() {
        ByteBuffer buffer = ByteBuffer.allocate(PACKET_BYTES);
        String reason = "the container stopped";
        try {
            while (!closed.get()) {
                buffer.clear();
                int read = channel.read(buffer);
                if (read <= 0) {
                    break; // conmon closed the socket: the container is gone
                }
                buffer.flip();
                byte stream = buffer.get();
                if ((stream == STDOUT || stream == STDERR) && buffer.hasRemaining()) {
                    byte[] data = new byte[buffer.remaining()];
                    buffer.get(data);
                    output.onData(data);
                }
            }
        } catch (IOException e) {
            if (!closed.get()) {
                reason = "the console connection failed: " + e.getMessage();
            }
        }
        if (!closed.get()) {
            output.onEnd(reason);
        }
    }

    @Override
    public void write(byte[] input) {
        if (input.length == 0) {
            return;
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(input);
            while (buffer.hasRemaining()) {
                int chunk = Math.min(buffer.remaining(), PACKET_BYTES - 1);
                ByteBuffer slice = buffer.slice();
                slice.limit(chunk);
                channel.write(slice);
                buffer.position(buffer.position() + chunk);
            }
        } catch (IOException e) {
            LOG.debug("console input to {} lost: {}", dirs.id(), e.toString());
        }
    }

    @Override
    public void resize(int rows, int cols) {
        if (rows <= 0 || cols <= 0) {
            return;
        }
        // Opened read-write: on Linux that never blocks, even if conmon (the reader) is gone,
        // where a write-only open of a FIFO would wait for a reader forever.
        try (RandomAccessFile ctl = new RandomAccessFile(dirs.ctlFifo().toFile(), "rw")) {
            ctl.write((RESIZE_EVENT + " " + rows + " " + cols + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            LOG.debug("resizing the console of {} failed: {}", dirs.id(), e.toString());
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("closing the console of {}: {}", dirs.id(), e.toString());
            }
        }
    }
}
