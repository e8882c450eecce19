package dev.hypervisor.server;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.ConsoleOutput;
import dev.hypervisor.testkit.DaemonProcess;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A test's end of an AttachConsole stream: keeps everything shown and the error the stream
 * ended with; and what tests do with a console: attach, type a line, wait for text.
 */
final class ConsoleViewer implements StreamObserver<ConsoleOutput> {

    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    private final AtomicReference<Throwable> error = new AtomicReference<>();

    @Override
    public synchronized void onNext(ConsoleOutput value) {
        seen.writeBytes(value.getData().toByteArray());
    }

    @Override
    public void onError(Throwable t) {
        error.set(t);
    }

    @Override
    public void onCompleted() { }

    synchronized int length() {
        return seen.size();
    }

    synchronized String text() {
        return seen.toString(StandardCharsets.UTF_8);
    }

    Throwable error() {
        return error.get();
    }

    /** Attaches this viewer to the instance's console; returns the stream to type into. */
    StreamObserver<ConsoleInput> attach(DaemonProcess daemon, String id) {
        StreamObserver<ConsoleInput> input = daemon.async().attachConsole(this);
        input.onNext(ConsoleInput.newBuilder().setInstanceId(id).build());
        return input;
    }

    static void type(StreamObserver<ConsoleInput> input, String line) {
        input.onNext(ConsoleInput.newBuilder().setData(ByteString.copyFromUtf8(line + "\n")).build());
    }

    /** Waits for the text on the console; a timeout shows what the console did show. */
    void awaitText(String text, Duration within) {
        try {
            await().atMost(within).until(() -> text().contains(text));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no " + text + " on the console within " + within + " (stream error: "
                    + error() + "); it showed:\n" + text(), e);
        }
    }

    static int occurrences(String text, String marker) {
        int count = 0;
        for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
            count++;
        }
        return count;
    }
}
