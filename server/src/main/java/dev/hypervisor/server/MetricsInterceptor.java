package dev.hypervisor.server;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** Counts every RPC by method and status code and records its latency, for Prometheus. */
final class MetricsInterceptor implements ServerInterceptor {

    private final Counter calls;
    private final Histogram latency;

    MetricsInterceptor(PrometheusRegistry registry) {
        calls = Counter.builder().name("hypervisord_grpc_requests_total")
                .help("gRPC calls handled, by method and status code")
                .labelNames("method", "code").register(registry);
        latency = Histogram.builder().name("hypervisord_grpc_request_duration_seconds")
                .help("gRPC call latency from start to status, by method")
                .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60)
                .labelNames("method").register(registry);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getBareMethodName();
        long start = System.nanoTime();
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                calls.labelValues(method, status.getCode().name()).inc();
                latency.labelValues(method).observe((System.nanoTime() - start) / 1e9);
                super.close(status, trailers);
            }
        }, headers);
    }
}
