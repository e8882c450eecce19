package dev.hypervisor.server;

import dev.hypervisor.api.v1.ConsoleOutput;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/** A test's end of an AttachConsole stream: keeps everything shown and the error the stream ended with. */
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
}
