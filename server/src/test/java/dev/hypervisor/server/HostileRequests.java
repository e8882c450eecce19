package dev.hypervisor.server;

import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import dev.hypervisor.api.v1.ComputeProto;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the request fuzz tests share: the methods a client can call, their request types, how long
 * a call may take, the statuses that mean a bug, and request messages built field by field from
 * a source of hostile {@link Choices} (a seeded Random, or Jazzer's fuzzed bytes).
 */
final class HostileRequests {

    /** Statuses no request may end with: the daemon failed to map an error, or has a bug. */
    static final Set<Status.Code> BUGS = Set.of(Status.Code.UNKNOWN, Status.Code.INTERNAL);
    static final Duration UNARY_DEADLINE = Duration.ofSeconds(5);
    // Streams stay open by design; a short deadline ends them so that a run never waits on one.
    static final Duration STREAM_DEADLINE = Duration.ofMillis(50);
    static final List<String> NASTY_STRINGS = List.of("", " ", "\u0000", "a\u0000b", "..", "../../etc/shadow",
            "/etc/shadow", "file:///etc/passwd", "http://127.0.0.1:9464/metrics", "inst-", "inst-00000000000000000",
            "default", "none", "nginx:latest", "busybox@sha256:" + "0".repeat(64), "sha256:", "10.213.0.1",
            "10.213.255.255", "999.1.1.1", "\uFFFF\uD7FF", "é", "x".repeat(300), "y".repeat(5000), "-", "a:b:c",
            "%00", "$(reboot)", "\n\r\t", "INSTANCE_TYPE_VM", "😀");

    /** Where the values of a hostile message come from. */
    interface Choices {
        /** Whether to set this field at all. */
        boolean sets(Descriptors.FieldDescriptor field);

        /** How many values a repeated (or map) field gets. */
        int repeats(Descriptors.FieldDescriptor field);

        /** A value for a field that is not a message: String, Integer, Long, ByteString, an enum value... */
        Object scalar(Descriptors.FieldDescriptor field);
    }

    private static final int MAX_DEPTH = 3;

    private HostileRequests() {}

    /** Every ComputeService method, and the health check. */
    static List<MethodDescriptor<?, ?>> methods() {
        List<MethodDescriptor<?, ?>> methods = new ArrayList<>(ComputeServiceGrpc.getServiceDescriptor().getMethods());
        methods.addAll(dev.hypervisor.api.v1.TrustServiceGrpc.getServiceDescriptor().getMethods());
        methods.add(HealthGrpc.getCheckMethod());
        return methods;
    }

    static Duration deadline(MethodDescriptor<?, ?> method) {
        return method.getType() == MethodDescriptor.MethodType.UNARY ? UNARY_DEADLINE : STREAM_DEADLINE;
    }

    static Descriptors.Descriptor inputType(MethodDescriptor<?, ?> method) {
        if (method.getServiceName().equals(HealthGrpc.SERVICE_NAME)) {
            return io.grpc.health.v1.HealthCheckRequest.getDescriptor();
        }
        if (method.getServiceName().equals(dev.hypervisor.api.v1.TrustServiceGrpc.SERVICE_NAME)) {
            return dev.hypervisor.api.v1.TrustProto.getDescriptor().findServiceByName("TrustService")
                    .findMethodByName(method.getBareMethodName()).getInputType();
        }
        return ComputeProto.getDescriptor().findServiceByName("ComputeService")
                .findMethodByName(method.getBareMethodName()).getInputType();
    }

    /** A message of {@code type} with the fields {@code choices} sets, nested up to three deep. */
    static DynamicMessage message(Descriptors.Descriptor type, Choices choices) {
        return message(type, choices, 0);
    }

    private static DynamicMessage message(Descriptors.Descriptor type, Choices choices, int depth) {
        DynamicMessage.Builder message = DynamicMessage.newBuilder(type);
        for (Descriptors.FieldDescriptor field : type.getFields()) {
            if (!choices.sets(field)) {
                continue;
            }
            int count = field.isRepeated() ? choices.repeats(field) : 1;
            for (int i = 0; i < count; i++) {
                Object value;
                if (field.getJavaType() == Descriptors.FieldDescriptor.JavaType.MESSAGE) {
                    value = depth >= MAX_DEPTH ? null : message(field.getMessageType(), choices, depth + 1);
                } else {
                    value = choices.scalar(field);
                }
                if (value == null) {
                    continue;
                }
                if (field.isRepeated()) {
                    message.addRepeatedField(field, value);
                } else {
                    message.setField(field, value);
                }
            }
        }
        return message.build();
    }

    /** The first bytes of a body in hex, for a finding's message. */
    static String hex(byte[] body) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(body.length, 48); i++) {
            out.append(String.format("%02x", body[i]));
        }
        return body.length > 48 ? out + "...(" + body.length + " bytes)" : out.toString();
    }
}
