package dev.hypervisor.server;

import com.google.protobuf.ByteString;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.usecase.RuntimeAccess;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * An AttachConsole stream: the first message names the instance and attaches; later ones
 * carry input and resizes. Detaching (the client ends or cancels) closes only this viewer's
 * session, never the console itself.
 */
final class ConsoleStream implements StreamObserver<ConsoleInput>, StreamRegistry.Closeable {

    private final RuntimeAccess runtime;
    private final ServerCallStreamObserver<ConsoleOutput> call;
    private ConsoleSession session;
    private volatile boolean done;
    private volatile Runnable closedAction = () -> { };

    ConsoleStream(RuntimeAccess runtime, ServerCallStreamObserver<ConsoleOutput> call) {
        this.runtime = runtime;
        this.call = call;
        call.setOnCancelHandler(this::detach);
    }

    @Override
    public synchronized void onNext(ConsoleInput input) {
        if (done) {
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
                        send(data);
                    }

                    @Override
                    public void onEnd(String reason) {
                        end();
                    }
                });
            }
            if (input.hasResize()) {
                session.resize(input.getResize().getRows(), input.getResize().getCols());
            }
            if (!input.getData().isEmpty()) {
                session.write(input.getData().toByteArray());
            }
        } catch (RuntimeException e) {
            fail(StatusMapper.toStatus(e));
        }
    }

    private synchronized void send(byte[] data) {
        if (!done) {
            call.onNext(ConsoleOutput.newBuilder().setData(ByteString.copyFrom(data)).build());
        }
    }

    private synchronized void end() {
        if (!done) {
            detach();
            call.onCompleted();
        }
    }

    private synchronized void fail(RuntimeException status) {
        if (!done) {
            detach();
            call.onError(status);
        }
    }

    @Override
    public void onError(Throwable t) {
        detach();
    }

    @Override
    public synchronized void onCompleted() {
        if (!done) {
            detach();
            call.onCompleted();
        }
    }

    private synchronized void detach() {
        if (done) {
            return;
        }
        done = true;
        if (session != null) {
            session.close();
        }
        closedAction.run();
    }

    @Override
    public void shutdown() {
        fail(Status.UNAVAILABLE.withDescription("hypervisord is shutting down; the instance keeps running")
                .asRuntimeException());
    }

    @Override
    public void onClosed(Runnable action) {
        this.closedAction = action;
    }
}
