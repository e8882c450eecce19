package dev.hypervisor.server;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Calls a method with request bytes as given, as a broken or hostile client sends them. */
final class RawCalls {

    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private RawCalls() {}

    /**
     * Sends one message of {@code body} to the method (half-closing after it) and returns the
     * status the call ends with; a stream still open at {@code deadline} ends DEADLINE_EXCEEDED.
     */
    static Status call(Channel channel, MethodDescriptor<?, ?> method, byte[] body, Duration deadline) {
        return call(channel, method, List.of(body), deadline);
    }

    /** As {@link #call(Channel, MethodDescriptor, byte[], Duration)}, with several messages, as a client stream sends them. */
    static Status call(Channel channel, MethodDescriptor<?, ?> method, List<byte[]> bodies, Duration deadline) {
        MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(method.getType()).setFullMethodName(method.getFullMethodName())
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
        ClientCall<byte[], byte[]> call = channel.newCall(raw,
                CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS));
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                call.request(1);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, new Metadata());
        call.request(1);
        bodies.forEach(call::sendMessage);
        call.halfClose();
        try {
            return closed.get(deadline.toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel("the test gave up", null);
            throw new AssertionError(method.getFullMethodName() + " did not end within 10 s of its deadline");
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }
}
