package dev.hypervisor.server;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a request message that does not decode with INVALID_ARGUMENT and one log line.
 * grpc-java parses requests outside the handler, so a parse failure would otherwise end the
 * call as {@code UNKNOWN: Application error processing RPC} with a stack trace per message.
 * Each method's request marshaller is wrapped so that parsing never throws but yields a
 * {@link Decoded} failure, which the wrapped handler turns into the status and a cancel of
 * the original handler (so its streams clean up as on a client cancel).
 */
final class MalformedRequests {

    private static final Logger LOG = LoggerFactory.getLogger(MalformedRequests.class);

    private MalformedRequests() {}

    /** The same service, except that undecodable requests are INVALID_ARGUMENT. */
    static ServerServiceDefinition guard(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        java.util.List<ServerMethodDefinition<?, ?>> methods = new java.util.ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            ServerMethodDefinition<?, ?> guarded = guard(method);
            descriptor.addMethod(guarded.getMethodDescriptor());
            methods.add(guarded);
        }
        ServerServiceDefinition.Builder bound = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(bound::addMethod);
        return bound.build();
    }

    private static <Q, R> ServerMethodDefinition<Decoded<Q>, R> guard(ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> original = method.getMethodDescriptor();
        MethodDescriptor<Decoded<Q>, R> decoding = original.toBuilder(
                new DecodingMarshaller<>(original.getRequestMarshaller()), original.getResponseMarshaller()).build();
        return ServerMethodDefinition.create(decoding, new GuardedHandler<>(original, method.getServerCallHandler()));
    }

    /** A request as parsed: the message, or why it did not decode. */
    record Decoded<Q>(Q message, RuntimeException failure) {}

    private record DecodingMarshaller<Q>(MethodDescriptor.Marshaller<Q> delegate)
            implements MethodDescriptor.Marshaller<Decoded<Q>> {

        @Override
        public InputStream stream(Decoded<Q> value) {
            return delegate.stream(value.message());
        }

        @Override
        public Decoded<Q> parse(InputStream stream) {
            try {
                return new Decoded<>(delegate.parse(stream), null);
            } catch (RuntimeException e) {
                return new Decoded<>(null, e);
            }
        }
    }

    private record GuardedHandler<Q, R>(MethodDescriptor<Q, R> method, ServerCallHandler<Q, R> handler)
            implements ServerCallHandler<Decoded<Q>, R> {

        @Override
        public ServerCall.Listener<Decoded<Q>> startCall(ServerCall<Decoded<Q>, R> call, Metadata headers) {
            GuardedCall<Q, R> guarded = new GuardedCall<>(call, method);
            ServerCall.Listener<Q> delegate = handler.startCall(guarded, headers);
            return new ServerCall.Listener<>() {
                private boolean refused;

                @Override
                public void onMessage(Decoded<Q> request) {
                    if (refused) {
                        return;
                    }
                    if (request.failure() == null) {
                        delegate.onMessage(request.message());
                        return;
                    }
                    refused = true;
                    String reason = reason(request.failure());
                    LOG.info("malformed request to {}: {}", method.getFullMethodName(), reason);
                    guarded.refuse(Status.INVALID_ARGUMENT.withDescription("malformed request message: " + reason));
                    delegate.onCancel();
                }

                @Override
                public void onHalfClose() {
                    if (!refused) {
                        delegate.onHalfClose();
                    }
                }

                @Override
                public void onCancel() {
                    if (!refused) {
                        delegate.onCancel();
                    }
                }

                @Override
                public void onComplete() {
                    if (!refused) {
                        delegate.onComplete();
                    }
                }

                @Override
                public void onReady() {
                    if (!refused) {
                        delegate.onReady();
                    }
                }
            };
        }

        /** The decoder's own words (protobuf's "invalid tag", "truncated"), without the status wrapping. */
        private static String reason(RuntimeException failure) {
            Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
            String message = cause.getMessage();
            return message == null ? cause.getClass().getSimpleName() : message;
        }
    }

    /**
     * The call as the original handler sees it. Once a message was refused the call is closed,
     * and whatever the handler still sends (from another thread, before its cancel lands) is
     * dropped rather than failing on a closed call.
     */
    private static final class GuardedCall<Q, R> extends ServerCall<Q, R> {
        private final ServerCall<Decoded<Q>, R> call;
        private final MethodDescriptor<Q, R> method;
        private boolean closed;

        GuardedCall(ServerCall<Decoded<Q>, R> call, MethodDescriptor<Q, R> method) {
            this.call = call;
            this.method = method;
        }

        synchronized void refuse(Status status) {
            if (!closed) {
                closed = true;
                call.close(status, new Metadata());
            }
        }

        @Override
        public void request(int numMessages) {
            call.request(numMessages);
        }

        @Override
        public synchronized void sendHeaders(Metadata headers) {
            if (!closed) {
                call.sendHeaders(headers);
            }
        }

        @Override
        public synchronized void sendMessage(R message) {
            if (!closed) {
                call.sendMessage(message);
            }
        }

        @Override
        public synchronized void close(Status status, Metadata trailers) {
            if (!closed) {
                closed = true;
                call.close(status, trailers);
            }
        }

        @Override
        public boolean isReady() {
            return call.isReady();
        }

        @Override
        public synchronized boolean isCancelled() {
            return closed || call.isCancelled();
        }

        @Override
        public void setMessageCompression(boolean enabled) {
            call.setMessageCompression(enabled);
        }

        @Override
        public void setCompression(String compressor) {
            call.setCompression(compressor);
        }

        @Override
        public SecurityLevel getSecurityLevel() {
            return call.getSecurityLevel();
        }

        @Override
        public Attributes getAttributes() {
            return call.getAttributes();
        }

        @Override
        public String getAuthority() {
            return call.getAuthority();
        }

        @Override
        public MethodDescriptor<Q, R> getMethodDescriptor() {
            return method;
        }
    }
}
