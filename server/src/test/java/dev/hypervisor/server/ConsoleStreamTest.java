package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.core.driver.ConsoleBacklog;
import dev.hypervisor.core.driver.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.driver.TestDriver;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceType;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AttachConsole's flow control: a viewer never holds up the console, and input never holds up output. */
class ConsoleStreamTest {

    @TempDir
    Path dataDir;

    private final ConsoleDouble containers = new ConsoleDouble();
    private InProcessDaemon hv;
    private String id;

    @BeforeEach
    void start() {
        hv = new InProcessDaemon(dataDir, List.of(containers));
        id = hv.blocking.createInstance(ComputeServiceTest.container("console").build()).getId();
        await().atMost(Duration.ofSeconds(10)).until(() -> hv.blocking.getInstance(
                GetInstanceRequest.newBuilder().setInstanceId(id).build()).getState() == InstanceState.INSTANCE_STATE_RUNNING);
    }

    @AfterEach
    void stop() {
        containers.release.countDown();
        hv.close();
    }

    @Test
    void aViewerThatDoesNotReadNeverBlocksTheConsoleAndLosesOnlyItsOldestOutput() throws Exception {
        StalledViewer viewer = new StalledViewer();
        StreamObserver<ConsoleInput> input = hv.async.attachConsole(viewer);
        input.onNext(ConsoleInput.newBuilder().setInstanceId(id).build());
        await().atMost(Duration.ofSeconds(5)).until(() -> containers.output != null);

        byte[] line = "y\n".repeat(4096).getBytes(StandardCharsets.US_ASCII);
        long offered = 0;
        long start = System.nanoTime();
        while (offered < (64L << 20)) { // 64 times the backlog, as `yes` prints it
            containers.output.onData(line);
            offered += line.length;
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("64 MiB offered to a stalled viewer")
                .isLessThan(Duration.ofSeconds(10));
        containers.output.onData("the newest line\n".getBytes(StandardCharsets.US_ASCII));

        viewer.read();
        await().atMost(Duration.ofSeconds(10)).until(() -> viewer.text().endsWith("the newest line\n"));
        String seen = viewer.text();
        assertThat(seen).contains("bytes of output dropped: this viewer fell behind");
        assertThat((long) seen.length()).as("what reached the viewer").isLessThan(2L * ConsoleBacklog.DEFAULT_CAPACITY);
        input.onCompleted();
    }

    @Test
    void inputThatTheConsoleCannotTakeYetDoesNotHoldUpOutput() throws Exception {
        ConsoleViewer viewer = new ConsoleViewer();
        StreamObserver<ConsoleInput> input = hv.async.attachConsole(viewer);
        input.onNext(ConsoleInput.newBuilder().setInstanceId(id).build());
        await().atMost(Duration.ofSeconds(5)).until(() -> containers.output != null);
        input.onNext(ConsoleInput.newBuilder().setData(ByteString.copyFromUtf8("a paste the pty cannot take")).build());
        assertThat(containers.writing.await(5, TimeUnit.SECONDS)).as("the write began").isTrue();

        // While that write blocks (a full pty), the console's output still reaches the viewer.
        Thread printer = new Thread(() -> containers.output.onData("output meanwhile\n".getBytes(StandardCharsets.UTF_8)));
        printer.start();
        printer.join(5000);
        assertThat(printer.isAlive()).as("the console's reader is blocked").isFalse();
        await().atMost(Duration.ofSeconds(5)).until(() -> viewer.text().contains("output meanwhile"));

        input.onNext(ConsoleInput.newBuilder().setData(ByteString.copyFromUtf8("second")).build());
        // The next message waits for the first write, however long that takes.
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> containers.written.get() == 0);
        containers.release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> containers.written.get() == 2);
        input.onCompleted();
    }

    /** A console whose input blocks until released, and whose output the test drives. */
    private static final class ConsoleDouble extends TestDriver {
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicLong written = new AtomicLong();
        volatile ConsoleOutput output;

        ConsoleDouble() {
            super(InstanceType.CONTAINER);
        }

        @Override
        public ConsoleSession attach(Instance instance, ConsoleOutput out) {
            output = out;
            return new ConsoleSession() {
                @Override
                public void write(byte[] input) {
                    writing.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    written.incrementAndGet();
                }

                @Override
                public void resize(int rows, int cols) { }

                @Override
                public void close() { }
            };
        }
    }

    /** Asks for no output until {@link #read}, as a client that stopped reading. */
    private static final class StalledViewer implements ClientResponseObserver<ConsoleInput, dev.hypervisor.api.v1.ConsoleOutput> {
        private final StringBuilder seen = new StringBuilder();
        private volatile ClientCallStreamObserver<ConsoleInput> call;

        @Override
        public void beforeStart(ClientCallStreamObserver<ConsoleInput> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(0);
        }

        void read() {
            call.request(Integer.MAX_VALUE);
        }

        @Override
        public synchronized void onNext(dev.hypervisor.api.v1.ConsoleOutput value) {
            seen.append(value.getData().toString(StandardCharsets.US_ASCII));
        }

        synchronized String text() {
            return seen.toString();
        }

        @Override
        public void onError(Throwable t) { }

        @Override
        public void onCompleted() { }
    }
}
