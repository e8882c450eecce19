package dev.hypervisor.server;

import dev.hypervisor.api.v1.InstanceEvent;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A WatchInstance event serialized once: a change fanned out to a thousand streams is encoded
 * once and its bytes are copied into each stream's frame, instead of being serialized again
 * per stream by the generated marshaller (most of the fan-out's CPU before).
 */
final class EncodedEvent {

    /** Writes the bytes as they are; parsing (which only a client does) keeps them as they are. */
    static final MethodDescriptor.Marshaller<EncodedEvent> MARSHALLER = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(EncodedEvent value) {
            return new Bytes(value.bytes);
        }

        @Override
        public EncodedEvent parse(InputStream stream) {
            try {
                return new EncodedEvent(stream.readAllBytes());
            } catch (IOException e) {
                throw new IllegalArgumentException("unreadable InstanceEvent", e);
            }
        }
    };

    private final byte[] bytes;

    private EncodedEvent(byte[] bytes) {
        this.bytes = bytes;
    }

    static EncodedEvent of(InstanceEvent event) {
        return new EncodedEvent(event.toByteArray());
    }

    /** Known length and drainable, so gRPC's framer sizes the frame up front and copies the bytes in one write. */
    private static final class Bytes extends ByteArrayInputStream implements KnownLength, Drainable {

        Bytes(byte[] bytes) {
            super(bytes);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
