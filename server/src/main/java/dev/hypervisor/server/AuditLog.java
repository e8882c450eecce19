package dev.hypervisor.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per call that changes something or opens a console (every method above the
 * viewer role, and every change to the trust store), denied ones included: time, who (name and certificate fingerprint), over what
 * (tcp, tls, unix), the method, the instance's id and name, the request_id, and the outcome.
 * A call denied before its request was read (no identity, too small a role) has no instance
 * or request_id in its line. The file is rotated to {@code .1} past a size; each line is also counted in
 * {@code hypervisord_audit_events_total{identity,code}}.
 */
final class AuditLog implements ServerInterceptor, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final long maxBytes;
    private final Clock clock;
    private final Counter events;
    private final Authorization authorization;
    private OutputStream out;
    private long size;

    AuditLog(Path file, long maxBytes, Clock clock, PrometheusRegistry metrics, Authorization authorization)
            throws IOException {
        this.file = file;
        this.authorization = authorization;
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.events = Counter.builder().name("hypervisord_audit_events").help("Audited calls, by identity and outcome")
                .labelNames("identity", "code").register(metrics);
        Files.createDirectories(file.toAbsolutePath().getParent());
        open();
    }

    private void open() throws IOException {
        out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        size = Files.size(file);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        if (!MethodRoles.audited(method)) {
            return next.startCall(call, headers);
        }
        var tls = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        Identity identity = authorization.whoCalls(call);
        String transport = tls != null ? "tls"
                : call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR) instanceof java.net.InetSocketAddress ? "tcp" : "unix";
        AtomicReference<Object> request = new AtomicReference<>();
        AtomicReference<Object> response = new AtomicReference<>();
        ServerCall<Q, R> audited = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(R message) {
                response.compareAndSet(null, message);
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                record(identity, transport, method, request.get(), response.get(), status);
                super.close(status, trailers);
            }
        };
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(audited, headers)) {
            @Override
            public void onMessage(Q message) {
                // the services are guarded: their requests arrive as MalformedRequests.Decoded
                request.compareAndSet(null, message instanceof MalformedRequests.Decoded<?> d ? d.message() : message);
                super.onMessage(message);
            }
        };
    }

    private void record(Identity who, String transport, String method, Object request, Object response, Status status) {
        ObjectNode line = JSON.createObjectNode();
        line.put("time", clock.instant().toString());
        line.put("identity", who.name());
        line.put("fingerprint", who.fingerprint());
        line.put("transport", transport);
        line.put("method", method.substring(method.lastIndexOf('/') + 1));
        if (method.startsWith("hypervisor.v1.TrustService/")) {
            String target = field(request, "fingerprint");
            line.put("fingerprint_changed", target.isEmpty() ? field(response, "fingerprint") : target);
        } else {
            String id = field(request, "instance_id");
            line.put("instance_id", id.isEmpty() ? field(response, "id") : id);
            String name = field(request, "name");
            line.put("instance_name", name.isEmpty() ? field(response, "name") : name);
        }
        line.put("request_id", field(request, "request_id"));
        line.put("code", status.getCode().name());
        events.labelValues(who.name(), status.getCode().name()).inc();
        write(line.toString());
    }

    /** A string field of a message, or of a message it holds directly (a console's first input); "" when none. */
    private static String field(Object message, String name) {
        if (!(message instanceof Message m)) {
            return "";
        }
        Descriptors.FieldDescriptor f = m.getDescriptorForType().findFieldByName(name);
        if (f != null && f.getJavaType() == Descriptors.FieldDescriptor.JavaType.STRING && !f.isRepeated()) {
            return (String) m.getField(f);
        }
        for (var e : m.getAllFields().entrySet()) {
            if (e.getValue() instanceof Message inner) {
                String found = field(inner, name);
                if (!found.isEmpty()) {
                    return found;
                }
            }
        }
        return "";
    }

    synchronized void write(String line) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            if (size + bytes.length > maxBytes && size > 0) {
                out.close();
                Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
                open();
            }
            out.write(bytes);
            out.flush();
            size += bytes.length;
        } catch (IOException e) {
            LOG.warn("cannot write the audit log {}: {}; the line was: {}", file, e.getMessage(), line);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            LOG.debug("closing the audit log: {}", e.toString());
        }
    }
}
