package dev.hypervisor.qemu;

import dev.hypervisor.core.driver.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM's serial port, shared by any number of viewers. QEMU's socket chardev serves one client
 * at a time (a second one waits unserved), so the driver holds the one connection for as long
 * as the VM runs and fans its output out; what any viewer types goes to the port. The last
 * {@value #REPLAY_BYTES} bytes are kept in memory for new viewers, seeded on connect from the
 * chardev's log file, which QEMU writes whether or not anyone is connected and which outlives
 * a daemon restart. A viewer is replayed and subscribed under one lock with the fan-out, so
 * it sees every byte once.
 */
final class SerialConsole implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SerialConsole.class);
    static final int REPLAY_BYTES = 64 * 1024;

    private final String name;
    private final SocketChannel channel;
    private final byte[] ring = new byte[REPLAY_BYTES];
    private long written; // bytes ever put into the ring
    private final List<Viewer> viewers = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile String endReason = "the VM stopped";

    private SerialConsole(String name, SocketChannel channel) {
        this.name = name;
        this.channel = channel;
    }

    static SerialConsole connect(VmDirs dirs) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(dirs.consoleSocket()));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        SerialConsole console = new SerialConsole(dirs.id(), channel);
        byte[] history = tail(dirs.consoleLog());
        console.remember(history, 0, history.length);
        Thread pump = new Thread(console::pump, "serial-" + dirs.id());
        pump.setDaemon(true);
        pump.start();
        return console;
    }

    /** A new viewer: the recent output first, then everything live until it closes or the VM stops. */
    ConsoleSession attach(ConsoleOutput output) {
        Viewer viewer = new Viewer(output);
        synchronized (viewers) {
            byte[] replay = recent();
            if (replay.length > 0) {
                output.onData(replay);
            }
            if (closed.get()) {
                output.onEnd(endReason);
                return viewer;
            }
            viewers.add(viewer);
        }
        return viewer;
    }

    private void pump() {
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        try {
            while (channel.read(buffer.clear()) > 0) {
                byte[] data = new byte[buffer.position()];
                buffer.flip().get(data);
                synchronized (viewers) {
                    remember(data, 0, data.length);
                    for (Viewer viewer : viewers) {
                        viewer.output.onData(data);
                    }
                }
            }
        } catch (IOException e) {
            if (!closed.get()) {
                LOG.debug("serial console of {}: {}", name, e.toString());
            }
        }
        close(); // QEMU closed its end: the VM is gone
    }

    private void write(byte[] input) {
        ByteBuffer buffer = ByteBuffer.wrap(input);
        try {
            synchronized (channel) {
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        } catch (IOException e) {
            LOG.debug("console input to {} lost: {}", name, e.toString());
        }
    }

    private void remember(byte[] data, int offset, int length) {
        for (int i = 0; i < length; i++) {
            ring[(int) (written++ % REPLAY_BYTES)] = data[offset + i];
        }
    }

    private byte[] recent() {
        int size = (int) Math.min(written, REPLAY_BYTES);
        byte[] out = new byte[size];
        long start = written - size;
        for (int i = 0; i < size; i++) {
            out[i] = ring[(int) ((start + i) % REPLAY_BYTES)];
        }
        return out;
    }

    private void end(String reason) {
        List<Viewer> ending;
        synchronized (viewers) {
            ending = List.copyOf(viewers);
            viewers.clear();
        }
        for (Viewer viewer : ending) {
            viewer.output.onEnd(reason);
        }
    }

    /** Drops the connection and ends every viewer with {@code reason}; the VM runs on. */
    void close(String reason) {
        endReason = reason;
        close();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("closing the serial console of {}: {}", name, e.toString());
            }
            end(endReason);
        }
    }

    /** The log's last {@value #REPLAY_BYTES} bytes. */
    static byte[] tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return new byte[0];
        }
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(0, file.length() - REPLAY_BYTES);
            byte[] bytes = new byte[(int) (file.length() - start)];
            file.seek(start);
            file.readFully(bytes);
            return bytes;
        }
    }

    /** One viewer; closing it only unsubscribes. */
    private final class Viewer implements ConsoleSession {
        private final ConsoleOutput output;

        Viewer(ConsoleOutput output) {
            this.output = output;
        }

        @Override
        public void write(byte[] input) {
            if (input.length > 0) {
                SerialConsole.this.write(input);
            }
        }

        /** A serial line has no window size; accepted and ignored. */
        @Override
        public void resize(int rows, int cols) { }

        @Override
        public void close() {
            synchronized (viewers) {
                viewers.remove(this);
            }
        }
    }
}
