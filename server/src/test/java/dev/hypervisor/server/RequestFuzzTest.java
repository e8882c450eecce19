package dev.hypervisor.server;

import static dev.hypervisor.server.HostileRequests.BUGS;
import static dev.hypervisor.server.HostileRequests.NASTY_STRINGS;
import static dev.hypervisor.server.HostileRequests.UNARY_DEADLINE;
import static dev.hypervisor.server.HostileRequests.deadline;
import static dev.hypervisor.server.HostileRequests.hex;
import static dev.hypervisor.server.HostileRequests.inputType;
import static dev.hypervisor.server.HostileRequests.methods;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.core.driver.TestDriver;
import dev.hypervisor.core.instance.InstanceType;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sends every RPC bytes a broken or hostile client might: messages that do not decode,
 * random bytes, well-formed messages with hostile field values, and those with bytes flipped.
 * None may end UNKNOWN or INTERNAL. The seed is random and printed on failure; replay one with
 * {@code -Dhv.fuzz.seed=N}, run longer with {@code -Dhv.fuzz.iterations=N} (default 48 per
 * kind and method).
 */
class RequestFuzzTest {

    @TempDir
    Path dataDir;

    private InProcessDaemon hv;

    @BeforeEach
    void start() {
        hv = new InProcessDaemon(dataDir, List.of(new TestDriver(InstanceType.CONTAINER), new TestDriver(InstanceType.VM),
                new TestDriver(InstanceType.MICROVM)));
    }

    @AfterEach
    void stop() {
        hv.close();
    }

    @Test
    void undecodableRequestsAreInvalidArgumentOnEveryMethod() {
        List<byte[]> undecodable = List.of(
                new byte[] {0}, // tag 0
                new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}, // a truncated varint key
                new byte[] {0x0a, 0x10, 'a'}, // field 1 claims 16 bytes, has 1
                new byte[] {0x0f}); // wire type 7
        for (MethodDescriptor<?, ?> method : methods()) {
            for (byte[] body : undecodable) {
                // answered at once, so the deadline is generous even for streams: a loaded machine must not fail it
                Status status = RawCalls.call(hv.channel, method, body, UNARY_DEADLINE);
                assertThat(status.getCode()).as("%s with %s", method.getFullMethodName(), hex(body))
                        .isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(status.getDescription()).startsWith("malformed request message");
            }
        }
        byte[] notUtf8 = {0x0a, 0x02, (byte) 0xc3, (byte) 0x28}; // instance_id, a string, that is not UTF-8
        assertThat(RawCalls.call(hv.channel, ComputeServiceGrpc.getGetInstanceMethod(), notUtf8, UNARY_DEADLINE).getCode())
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void noInputEndsUnknownOrInternal() {
        long seed = Long.getLong("hv.fuzz.seed", new Random().nextLong());
        int iterations = Integer.getInteger("hv.fuzz.iterations", 48);
        Random random = new Random(seed);
        List<String> findings = new ArrayList<>();
        for (MethodDescriptor<?, ?> method : methods()) {
            Descriptors.Descriptor input = inputType(method);
            for (int i = 0; i < iterations; i++) {
                byte[] noise = new byte[random.nextInt(64)];
                random.nextBytes(noise);
                byte[] hostile = HostileRequests.message(input, new RandomChoices(random)).toByteArray();
                byte[] flipped = hostile.clone();
                for (int flips = 0; flipped.length > 0 && flips < 1 + random.nextInt(3); flips++) {
                    flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
                }
                for (byte[] body : List.of(noise, hostile, flipped)) {
                    // answered at once, so the deadline is generous even for streams: a loaded machine must not fail it
                Status status = RawCalls.call(hv.channel, method, body, UNARY_DEADLINE);
                    if (BUGS.contains(status.getCode())) {
                        findings.add(method.getBareMethodName() + " " + hex(body) + " -> " + status);
                    }
                }
            }
        }
        assertThat(findings).as("seed %d (replay with -Dhv.fuzz.seed=%d)", seed, seed).isEmpty();
    }

    /** Values a careless or hostile client sends: empty, NUL, huge, climbing paths, extremes, unknown enum numbers. */
    private record RandomChoices(Random random) implements HostileRequests.Choices {
        @Override
        public boolean sets(Descriptors.FieldDescriptor field) {
            return random.nextInt(3) != 0;
        }

        @Override
        public int repeats(Descriptors.FieldDescriptor field) {
            return random.nextInt(4);
        }

        @Override
        public Object scalar(Descriptors.FieldDescriptor field) {
            return switch (field.getJavaType()) {
                case STRING -> NASTY_STRINGS.get(random.nextInt(NASTY_STRINGS.size()));
                case INT -> switch (random.nextInt(5)) {
                    case 0 -> 0;
                    case 1 -> -1;
                    case 2 -> Integer.MAX_VALUE;
                    case 3 -> Integer.MIN_VALUE;
                    default -> random.nextInt(5000);
                };
                case LONG -> switch (random.nextInt(5)) {
                    case 0 -> 0L;
                    case 1 -> -1L;
                    case 2 -> Long.MAX_VALUE;
                    case 3 -> Long.MIN_VALUE;
                    default -> (long) random.nextInt(1 << 30) << random.nextInt(20);
                };
                case BOOLEAN -> random.nextBoolean();
                case FLOAT -> random.nextFloat();
                case DOUBLE -> random.nextDouble();
                case BYTE_STRING -> {
                    byte[] bytes = new byte[random.nextInt(2) == 0 ? random.nextInt(16) : random.nextInt(70_000)];
                    random.nextBytes(bytes);
                    yield ByteString.copyFrom(bytes);
                }
                case ENUM -> {
                    Descriptors.EnumDescriptor type = field.getEnumType();
                    // Numbers this build does not know arrive from newer clients.
                    yield random.nextInt(4) == 0 ? type.findValueByNumberCreatingIfUnknown(100 + random.nextInt(100))
                            : type.getValues().get(random.nextInt(type.getValues().size()));
                }
                case MESSAGE -> throw new IllegalArgumentException("messages are built by HostileRequests");
            };
        }
    }
}
