package dev.hypervisor.server;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.watch.InstanceWatch;
import dev.hypervisor.core.watch.WatchRequest;
import dev.hypervisor.core.watch.Watches;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A WatchInstance stream: sends while the transport is ready (gRPC flow control), so events
 * wait in the core's bounded queue, never in an unbounded transport buffer.
 */
final class WatchStream implements StreamRegistry.Closeable {

    private final Watches watches;
    private final WireEvents wire;
    private final ServerCallStreamObserver<EncodedEvent> call;
    private final AtomicInteger wip = new AtomicInteger();
    private final InstanceWatch watch;
    private volatile boolean done;
    private volatile boolean shuttingDown;
    private volatile Runnable closedAction = () -> { };

    WatchStream(Watches watches, WireEvents wire, WatchRequest request, ServerCallStreamObserver<EncodedEvent> call) {
        this.watches = watches;
        this.wire = wire;
        this.call = call;
        call.setOnCancelHandler(this::finish);
        call.setOnReadyHandler(this::drain);
        this.watch = watches.open(request, this::drain);
        drain();
    }

    /** Sends what can be sent; one thread at a time, re-running when more arrived meanwhile. */
    private void drain() {
        if (watch == null || wip.getAndIncrement() != 0) {
            return;
        }
        do {
            try {
                if (shuttingDown && !done) {
                    finish();
                    endForShutdown();
                    continue;
                }
                while (!done && call.isReady()) {
                    EncodedEvent next = poll();
                    if (next == null) {
                        break;
                    }
                    call.onNext(next);
                }
                DomainException failure = watch.failure();
                if (failure != null && !done) {
                    finish();
                    call.onError(StatusMapper.toStatus(failure));
                }
            } catch (RuntimeException e) {
                if (!done) {
                    finish();
                    call.onError(StatusMapper.toStatus(e));
                }
            }
        } while (wip.decrementAndGet() != 0);
    }

    private EncodedEvent poll() {
        var event = watch.poll();
        return event == null ? null : wire.toWire(event);
    }

    private void finish() {
        if (done) {
            return;
        }
        done = true;
        if (watch != null) {
            watches.release(watch);
        }
        closedAction.run();
    }

    /**
     * Ends the stream with UNAVAILABLE. The call is not thread-safe, so the end goes through
     * {@link #drain}, which runs on one thread at a time: called straight from the shutdown
     * thread, it could meet an event being sent and be lost, leaving the server to wait out
     * its grace period and cancel the stream.
     */
    @Override
    public void shutdown() {
        shuttingDown = true;
        drain();
    }

    private void endForShutdown() {
        try {
            call.onError(Status.UNAVAILABLE.withDescription("hypervisord is shutting down; resume the watch"
                    + " with after_revision set to the last revision received").asRuntimeException());
        } catch (IllegalStateException alreadyClosed) {
            // the client went away first
        }
    }

    @Override
    public void onClosed(Runnable action) {
        this.closedAction = action;
        if (done) {
            action.run();
        }
    }
}
