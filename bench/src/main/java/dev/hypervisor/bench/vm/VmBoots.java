package dev.hypervisor.bench.vm;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.StopInstanceRequest;
import dev.hypervisor.bench.Async;
import dev.hypervisor.bench.DirectQemu;
import dev.hypervisor.bench.TimedInstances;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.guest.GuestInitramfs;
import io.grpc.Status;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The two ways the figures boot a VM, timed alike by a {@link ConsoleClock}: ours through the API and AttachConsole
 * (a line printed before the attach is seen only in the replay, later than printed: that error counts against ours),
 * and the reference VM's QEMU started directly.
 */
final class VmBoots {

    /** One boot as the client saw it, in nanoTime; {@code id} is empty for a direct one. */
    record Boot(String id, long pid, long sent, long acknowledged, long running, long firstLine, long ready, String line) {}

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private final DaemonProcess daemon;
    private final TimedInstances vms;
    private final CreateInstanceRequest template;
    private final Path vmsRoot;
    private final Path log;
    private DirectQemu direct;
    private SocketChannel console;
    private long directPid;

    VmBoots(DaemonProcess daemon, TimedInstances vms, CreateInstanceRequest template, Path vmsRoot, Path log) {
        this.daemon = daemon;
        this.vms = vms;
        this.template = template;
        this.vmsRoot = vmsRoot;
        this.log = log;
    }

    /** Boots a reference VM, takes the command line its QEMU runs, and stops it: the baseline runs that on its files. */
    List<String> takeReference() throws IOException {
        Boot reference = ours("reference", Duration.ofSeconds(300));
        direct = DirectQemu.inPlace(reference.pid(), vmsRoot.resolve(reference.id()));
        vms.api().blocking().stopInstance(StopInstanceRequest.newBuilder().setInstanceId(reference.id()).setForce(true)
                .build());
        vms.api().awaitState(reference.id(), InstanceState.INSTANCE_STATE_STOPPED);
        return direct.arguments();
    }

    /** Creates a VM, waits for RUNNING, attaches to its console and waits for its first line and READY. */
    Boot ours(String name, Duration timeout) throws IOException {
        long sent = System.nanoTime();
        String id = vms.create(template.toBuilder().setName(name).build());
        long acknowledged = System.nanoTime();
        long running = vms.awaitRunning(id, timeout);
        ConsoleClock clock = new ConsoleClock();
        var input = ComputeServiceGrpc.newStub(daemon.newChannel()).attachConsole(Async.observer(
                value -> clock.onData(value.getData().toByteArray()),
                t -> clock.fail(t == null ? "AttachConsole ended" : "AttachConsole failed: " + Status.fromThrowable(t))));
        input.onNext(ConsoleInput.newBuilder().setInstanceId(id).build());
        try {
            long firstLine = clock.awaitFirstLine(timeout);
            long ready = clock.awaitMarker(timeout);
            long pid = Long.parseLong(Files.readString(vmsRoot.resolve(id).resolve("run")).strip());
            return new Boot(id, pid, sent, acknowledged, running, firstLine, ready, clock.firstLineText());
        } finally {
            input.onCompleted();
        }
    }

    void delete(Boot boot) {
        vms.delete(boot.id(), TIMEOUT);
    }

    /** Starts the reference VM's QEMU directly and waits for its first line and READY on its console socket. */
    Boot direct() throws IOException, InterruptedException {
        ConsoleClock clock = new ConsoleClock();
        DirectQemu.Started qemu = direct.start(null, log);
        directPid = qemu.pid();
        console = ConsoleClock.follow(qemu.dir().resolve("console.sock"), clock);
        long firstLine = clock.awaitFirstLine(TIMEOUT);
        long ready = clock.awaitMarker(TIMEOUT);
        return new Boot("", qemu.pid(), qemu.forkedAt(), qemu.forkedAt(), qemu.forkedAt(), firstLine, ready,
                clock.firstLineText());
    }

    /** SIGKILLs the direct QEMU (untimed) and waits until it is gone, so the reference VM's files are free again. */
    void killDirect() {
        if (console != null) {
            try {
                console.close();
            } catch (IOException e) {
                // closing anyway
            }
            console = null;
        }
        if (directPid != 0) {
            DirectQemu.kill(directPid);
            directPid = 0;
        }
    }

    /** Stamps (nanoTime) a console's first visible line and READY; one per boot of either side, so both read alike. */
    static final class ConsoleClock {

        private final StringBuilder text = new StringBuilder();
        private final CompletableFuture<Long> firstLine = new CompletableFuture<>();
        private final CompletableFuture<Long> markerSeen = new CompletableFuture<>();
        private volatile String line = "";

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
            if (!markerSeen.isDone() && text.indexOf(GuestInitramfs.READY) >= 0) {
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
            return Async.await(markerSeen, GuestInitramfs.READY + " on the console", timeout, this::shown);
        }

        /** The first line, without control characters. */
        String firstLineText() {
            return line;
        }

        private synchronized String shown() {
            return "; the console showed:\n" + text;
        }
    }
}
