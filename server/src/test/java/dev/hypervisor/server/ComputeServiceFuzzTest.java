package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import dev.hypervisor.core.driver.TestDriver;
import dev.hypervisor.core.instance.InstanceType;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided: every method of the service (the health check too) gets request messages
 * built field by field from the fuzzer's bytes, or the bytes themselves as a raw body, through
 * the real service on an in-process server. No call may end UNKNOWN or INTERNAL, outlast its
 * deadline, or make gRPC log an exception that escaped a handler. The first byte picks the
 * method. Seeds and kept findings are in {@code ComputeServiceFuzzTestInputs/}; fuzz with
 * {@code scripts/fuzz.sh}. {@link RequestFuzzTest} does the same from a seeded Random.
 */
class ComputeServiceFuzzTest {

    private static final List<MethodDescriptor<?, ?>> METHODS = HostileRequests.methods();
    private static final int MAX_STREAM_MESSAGES = 3;

    @TempDir
    static Path dataDir;

    private static InProcessDaemon hv;
    private static final List<String> strings = new ArrayList<>(HostileRequests.NASTY_STRINGS);
    private static final ConcurrentLinkedQueue<LogRecord> grpcTrouble = new ConcurrentLinkedQueue<>();
    private static final Logger GRPC = Logger.getLogger("io.grpc");
    private static final Handler TROUBLE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue() || record.getThrown() != null) {
                grpcTrouble.add(record);
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeAll
    static void start() {
        hv = new InProcessDaemon(dataDir, List.of(new TestDriver(InstanceType.CONTAINER), new TestDriver(InstanceType.VM),
                new TestDriver(InstanceType.MICROVM)));
        GRPC.addHandler(TROUBLE);
        // An instance that exists, so that requests naming it reach past the NOT_FOUND check.
        strings.add(hv.blocking.createInstance(ComputeServiceTest.container("fuzz-target").build()).getId());
        strings.add("fuzz-target");
        // A real certificate, so that AddTrust gets past parsing it.
        var cert = dev.hypervisor.tls.SelfSigned.write(dataDir.resolve("fuzz.crt"), dataDir.resolve("fuzz.key"),
                dev.hypervisor.tls.SelfSigned.Subject.named("fuzz"), dev.hypervisor.tls.SelfSigned.Purpose.CLIENT,
                java.time.Duration.ofDays(1));
        strings.add(dev.hypervisor.tls.Certificates.pem(dev.hypervisor.tls.Certificates.read(cert.cert())));
    }

    @AfterAll
    static void stop() {
        GRPC.removeHandler(TROUBLE);
        hv.close();
    }

    @FuzzTest(maxDuration = "10s")
    void noRequestEndsUnknownOrInternal(FuzzedDataProvider data) {
        MethodDescriptor<?, ?> method = METHODS.get(Byte.toUnsignedInt(data.consumeByte()) % METHODS.size());
        boolean clientStreams = method.getType() == MethodDescriptor.MethodType.CLIENT_STREAMING
                || method.getType() == MethodDescriptor.MethodType.BIDI_STREAMING;
        List<byte[]> bodies = new ArrayList<>();
        int messages = clientStreams ? data.consumeInt(1, MAX_STREAM_MESSAGES) : 1;
        for (int i = 0; i < messages; i++) {
            bodies.add(data.consumeBoolean()
                    ? HostileRequests.message(HostileRequests.inputType(method), new FuzzedChoices(data)).toByteArray()
                    : data.consumeBytes(4096));
        }
        grpcTrouble.clear();

        Status status = RawCalls.call(hv.channel, method, bodies, HostileRequests.deadline(method));

        assertThat(status.getCode()).as("%s with %s: %s", method.getBareMethodName(),
                HostileRequests.hex(bodies.get(0)), status).isNotIn(HostileRequests.BUGS);
        assertThat(grpcTrouble).as("what gRPC logged").extracting(r -> r.getMessage() + " " + r.getThrown())
                .isEmpty();
    }

    /** Field values from the fuzzer: hostile strings (and the instance that exists) or fuzzed ones, any number. */
    private record FuzzedChoices(FuzzedDataProvider data) implements HostileRequests.Choices {
        @Override
        public boolean sets(Descriptors.FieldDescriptor field) {
            return data.consumeBoolean();
        }

        @Override
        public int repeats(Descriptors.FieldDescriptor field) {
            return data.consumeInt(0, 3);
        }

        @Override
        public Object scalar(Descriptors.FieldDescriptor field) {
            return switch (field.getJavaType()) {
                case STRING -> data.consumeBoolean() ? data.pickValue(strings) : data.consumeString(64);
                case INT -> data.consumeInt();
                case LONG -> data.consumeLong();
                case BOOLEAN -> data.consumeBoolean();
                case FLOAT -> data.consumeFloat();
                case DOUBLE -> data.consumeDouble();
                case BYTE_STRING -> ByteString.copyFrom(data.consumeBytes(256));
                case ENUM -> {
                    Descriptors.EnumDescriptor type = field.getEnumType();
                    // Numbers this build does not know arrive from newer clients.
                    yield data.consumeBoolean() ? data.pickValue(type.getValues())
                            : type.findValueByNumberCreatingIfUnknown(data.consumeInt());
                }
                case MESSAGE -> throw new IllegalArgumentException("messages are built by HostileRequests");
            };
        }
    }
}
