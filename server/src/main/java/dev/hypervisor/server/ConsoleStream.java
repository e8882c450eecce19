package dev.hypervisor.server;

import com.google.protobuf.ByteString;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleBacklog;
import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.usecase.RuntimeAccess;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An AttachConsole stream: the first message names the instance and attaches; later ones
 * carry input and resizes. Detaching (the client ends or cancels) closes only this viewer's
 * session, never the console itself.
 *
 * <p>Output and input never wait on each other. Output goes through the viewer's own
 * {@link ConsoleBacklog} and is sent only while the transport is ready: a viewer that reads
 * slowly holds the console's reader back, as a slow terminal does, and one that stops reading
 * loses its oldest output instead of filling the daemon's memory or holding the reader for
 * longer than the backlog's patience. Input is written on its own thread, one message at a time, and the next
 * message is requested from the client only when the last is written: a paste into a console
 * that reads slowly backs up in the client, not in the daemon.
 */
final class ConsoleStream implements StreamObserver<ConsoleInput>, StreamRegistry.Closeable {

    private final RuntimeAccess runtime;
    private final ServerCallStreamObserver<ConsoleOutput> call;
    private final Executor inputWriter;
    private final ConsoleBacklog backlog;
    private final AtomicInteger drainRequests = new AtomicInteger();
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile ConsoleSession session;
    private volatile boolean ending; // the console ended: send what is left, then complete
    private volatile Status failure; // end with this instead, dropping what is left
    private volatile boolean detached; // the viewer half-closed: complete at once
    private volatile Runnable closedAction = () -> { };

    ConsoleStream(RuntimeAccess runtime, ServerCallStreamObserver<ConsoleOutput> call, Executor inputWriter,
            ConsoleBacklog backlog) {
        this.runtime = runtime;
        this.call = call;
        this.inputWriter = inputWriter;
        this.backlog = backlog;
        call.disableAutoRequest();
        call.setOnCancelHandler(this::detach);
        call.setOnReadyHandler(this::drain);
        call.request(1);
    }

    /** Called by gRPC one message at a time; the next one comes after {@link #request()}. */
    @Override
    public void onNext(ConsoleInput input) {
        if (done.get()) {
            return;
        }
        try {
            if (session == null) {
                if (input.getInstanceId().isEmpty()) {
                    throw DomainException.invalidArgument("instance_id", "required in the first message");
                }
                session = runtime.attach(input.getInstanceId(), new dev.hypervisor.core.driver.ConsoleOutput() {
                    @Override
                    public void onData(byte[] data) {
                        backlog.offer(data);
                        drain();
                    }

                    @Override
                    public void onEnd(String reason) {
                        ending = true;
                        drain();
                    }
                });
                if (done.get()) {
                    session.close(); // cancelled while attaching
                }
            }
        } catch (RuntimeException e) {
            fail(StatusMapper.toStatus(e).getStatus());
            return;
        }
        ConsoleSession attached = session;
        if (!input.hasResize() && input.getData().isEmpty()) {
            request();
            return;
        }
        try {
            inputWriter.execute(() -> {
                try {
                    if (input.hasResize()) {
                        attached.resize(input.getResize().getRows(), input.getResize().getCols());
                    }
                    if (!input.getData().isEmpty()) {
                        attached.write(input.getData().toByteArray());
                    }
                } finally {
                    request();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            fail(Status.UNAVAILABLE.withDescription("hypervisord is shutting down; the instance keeps running"));
        }
    }

    private void request() {
        if (!done.get()) {
            call.request(1);
        }
    }

    /**
     * Sends from the backlog while the transport is ready, and ends the call when asked to. Any
     * thread may call it (the console's reader, gRPC's on-ready, input); one drains at a time and
     * the others' calls make it look again, so no output is stranded and onNext is never concurrent.
     */
    private void drain() {
        if (drainRequests.getAndIncrement() != 0) {
            return;
        }
        do {
            drainOnce();
        } while (drainRequests.decrementAndGet() != 0);
    }

    private void drainOnce() {
        if (done.get()) {
            return;
        }
        Status failed = failure;
        if (failed != null) {
            finish(() -> call.onError(failed.asRuntimeException()));
            return;
        }
        if (detached) {
            finish(call::onCompleted);
            return;
        }
        boolean end = ending;
        byte[] chunk;
        // The end of the console sends what is left even to a slow viewer: at most the backlog's bound.
        while ((call.isReady() || end) && (chunk = backlog.take()) != null) {
            call.onNext(ConsoleOutput.newBuilder().setData(ByteString.copyFrom(chunk)).build());
        }
        if (end && backlog.buffered() == 0) {
            finish(call::onCompleted);
        }
    }

    private void finish(Runnable closeCall) {
        if (done.compareAndSet(false, true)) {
            closeSession();
            closeCall.run();
        }
    }

    private void fail(Status status) {
        failure = status;
        drain();
    }

    @Override
    public void onError(Throwable t) {
        detach();
    }

    /** The viewer detached (half-closed): complete the call; nothing more is sent. */
    @Override
    public void onCompleted() {
        detached = true;
        drain();
    }

    /** The client went away: close this viewer's session; nothing more is sent. */
    private void detach() {
        if (done.compareAndSet(false, true)) {
            closeSession();
        }
    }

    private void closeSession() {
        backlog.close(); // first: the console's reader may be waiting on this viewer
        ConsoleSession attached = session;
        if (attached != null) {
            attached.close();
        }
        closedAction.run();
    }

    /** Bytes this viewer lost because it fell behind. */
    long droppedBytes() {
        return backlog.droppedBytes();
    }

    @Override
    public void shutdown() {
        fail(Status.UNAVAILABLE.withDescription("hypervisord is shutting down; the instance keeps running"));
    }

    @Override
    public void onClosed(Runnable action) {
        this.closedAction = action;
    }
}
