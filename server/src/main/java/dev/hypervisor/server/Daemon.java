package dev.hypervisor.server;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.trust.TrustRegistry;
import dev.hypervisor.host.DiskReserve;
import dev.hypervisor.host.DiskSpace;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running hypervisord: the store, the control plane and the gRPC server with health,
 * reflection and metrics. {@link #shutdown} finishes in-flight calls, ends streams cleanly
 * and leaves every instance running.
 */
public final class Daemon implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    static final String SERVICE = ComputeServiceGrpc.SERVICE_NAME;

    private final DaemonConfig config;
    private final ControlPlane controlPlane;
    private final StreamRegistry streams = new StreamRegistry();
    private final HealthStatusManager health = new HealthStatusManager();
    private final ScheduledExecutorService timer = newTimer();
    private final ScheduledExecutorService healthChecks = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "health-checks");
        t.setDaemon(true);
        return t;
    });
    private final PrometheusRegistry metrics = new PrometheusRegistry();
    private Server server;
    private UnixSocket socket;
    private AuditLog audit;
    /** The audit log's size before it is rotated to .1. */
    private static final long AUDIT_LOG_BYTES = 16L << 20;
    private HTTPServer metricsServer;

    private final DiskSpace disk;
    private final DiskReserve reserve;
    private final Store store;
    private final TrustRegistry trust;
    private final TlsMaterial tls;
    private volatile String unhealthy = ""; // why the service is NOT_SERVING, as last logged

    private Daemon(DaemonConfig config, Store store, TlsMaterial tls) {
        this.config = config;
        this.store = store;
        this.tls = tls;
        this.disk = new DiskSpace(config.dataDir(), config.disk().minFreeBytes());
        this.reserve = new DiskReserve(config.dataDir().resolve(RESERVE_FILE), config.disk().reserveBytes(), disk);
        Store backed = new ReserveBackedStore(store, reserve);
        this.controlPlane = new ControlPlane(backed, config, Clock.systemUTC(), disk::shortage, new PhaseMetrics(metrics));
        this.trust = new TrustRegistry(backed, Clock.systemUTC());
    }

    /** The data directory's file that holds the disk reserve. */
    static final String RESERVE_FILE = "disk-reserve";

    /**
     * The timer of default deadlines and health checks. Every unary call schedules a deadline
     * and cancels it when done: cancelled tasks must leave the queue at once, or a busy daemon
     * would hold a minute of them in memory.
     */
    private static ScheduledExecutorService newTimer() {
        java.util.concurrent.ScheduledThreadPoolExecutor timer = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "daemon-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    /** Opens the configured store (SQLite under the data directory by default) and serves on the configured TCP address. */
    public static Daemon start(DaemonConfig config) throws IOException {
        Files.createDirectories(config.dataDir());
        Store store = config.store().open(config.dataDir());
        NettyServerBuilder builder;
        TlsMaterial tls;
        try {
            tls = config.transport().tls() ? TlsMaterial.load(config.transport()) : null;
            builder = NettyServerBuilder.forAddress(new InetSocketAddress(config.listenHost(), config.listenPort()),
                    ListenerSecurity.credentials(config.listenHost(), config.transport(), tls));
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        DaemonConfig.ServerLimits limits = config.serverLimits();
        builder.maxInboundMessageSize(limits.maxMessageBytes())
                .maxInboundMetadataSize(limits.maxHeaderBytes())
                .maxConcurrentCallsPerConnection(limits.maxConcurrentCallsPerConnection())
                .permitKeepAliveTime(limits.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveWithoutCalls(false)
                .keepAliveTime(2, TimeUnit.HOURS)
                .maxRstFramesPerWindow(limits.maxRstFramesPerWindow(), limits.rstWindowSeconds());
        return start(config, store, builder, tls);
    }

    /** Serves on the given builder (in-process for tests, Netty for the daemon) over the given store. */
    public static Daemon start(DaemonConfig config, Store store, ServerBuilder<?> builder) throws IOException {
        return start(config, store, builder, null);
    }

    private static Daemon start(DaemonConfig config, Store store, ServerBuilder<?> builder, TlsMaterial tls)
            throws IOException {
        Daemon daemon;
        try {
            daemon = new Daemon(config, store, tls);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        try {
            daemon.serve(builder);
        } catch (IOException | RuntimeException e) {
            daemon.controlPlane.close();
            throw e;
        }
        return daemon;
    }

    private void serve(ServerBuilder<?> builder) throws IOException {
        reserve.restore();
        controlPlane.start();
        trust.start();
        MetricsInterceptor metricsInterceptor = new MetricsInterceptor(metrics);
        DefaultDeadlineInterceptor deadlines = new DefaultDeadlineInterceptor(config.defaultDeadline(), timer);
        Authorization authorization = new Authorization(trust, tls == null ? null : tls.clientCa(), Clock.systemUTC());
        if (config.auditLog() != null) {
            audit = new AuditLog(config.auditLog(), AUDIT_LOG_BYTES, Clock.systemUTC(), metrics, authorization);
        }
        // Interceptors run last to first: who calls is settled before anything else looks at the call.
        List<ServerServiceDefinition> services = List.of(
                ServerInterceptors.intercept(MalformedRequests.guard(
                        new ComputeService(controlPlane.useCases(), streams).bindService()), auditing(deadlines, metricsInterceptor,
                        authorization)),
                ServerInterceptors.intercept(MalformedRequests.guard(new TrustApi(trust, tls, this::addresses)
                        .bindService()), auditing(deadlines, metricsInterceptor, authorization)),
                ServerInterceptors.intercept(MalformedRequests.guard(health.getHealthService().bindService()), authorization),
                ServerInterceptors.intercept(MalformedRequests.guard(ProtoReflectionServiceV1.newInstance().bindService()),
                        authorization),
                ServerInterceptors.intercept(MalformedRequests.guard(ProtoReflectionService.newInstance().bindService()),
                        authorization));
        builder.maxInboundMessageSize(config.serverLimits().maxMessageBytes());
        services.forEach(builder::addService);
        server = builder.build().start();
        Path socketPath = config.transport().socket();
        if (socketPath != null) {
            try {
                socket = UnixSocket.serve(socketPath, config.transport().socketGroup(),
                        config.serverLimits().maxMessageBytes(), services);
            } catch (IOException | RuntimeException e) {
                server.shutdownNow();
                throw e;
            }
        }
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(SERVICE, ServingStatus.SERVING);
        healthChecks.scheduleWithFixedDelay(this::checkHealth, 5, 5, TimeUnit.SECONDS);
        registerInstanceGauge();
        if (config.metricsPort() >= 0) {
            metricsServer = HTTPServer.builder().hostname(config.metricsHost()).port(config.metricsPort())
                    .registry(metrics).buildAndStart();
        }
        LOG.info("hypervisord serving {} on {}:{} (node {}, data {}, socket {}, metrics {})", SERVICE, config.listenHost(),
                port(), config.nodeId(), config.dataDir().toAbsolutePath().normalize(),
                socket == null ? "off" : socket.path(),
                metricsServer == null ? "off" : config.metricsHost() + ":" + metricsServer.getPort());
    }

    /** The interceptors, run last to first, with the audit log outermost so that it sees denied calls too. */
    private List<io.grpc.ServerInterceptor> auditing(io.grpc.ServerInterceptor... inner) {
        List<io.grpc.ServerInterceptor> all = new java.util.ArrayList<>(List.of(inner));
        if (audit != null) {
            all.add(audit);
        }
        return all;
    }

    private void registerInstanceGauge() {
        GaugeWithCallback.builder().name("hypervisord_instances")
                .help("Instances stored, by type and state")
                .labelNames("type", "state")
                .callback(callback -> {
                    for (InstanceType type : InstanceType.values()) {
                        for (InstanceState state : InstanceState.values()) {
                            if (state != InstanceState.DELETED) {
                                callback.call(controlPlane.census().count(type, state), type.name(), state.name());
                            }
                        }
                    }
                }).register(metrics);
    }

    /**
     * Serving turns NOT_SERVING when the reconciler's relist is stale, as kubelet's PLEG health
     * does, while the store cannot be read (etcd out of reach) and while the data directory is
     * full; the reason is logged when it changes. With room again, the disk reserve is written
     * back. Runs on a thread of its own: a store read may wait for its timeout, and the timer's
     * deadlines must not wait with it.
     */
    private void checkHealth() {
        Duration stale = controlPlane.reconciler().relistInterval().multipliedBy(3).plusSeconds(10);
        boolean fresh = controlPlane.reconciler().lastRelist().plus(stale).isAfter(Instant.now());
        String unreachable = storeProblem();
        String reason = !unreachable.isEmpty() ? unreachable
                : !fresh ? "the reconciler's last relist is older than " + stale.toSeconds() + " s"
                : disk.shortage().orElse("");
        if (!reason.equals(unhealthy)) {
            if (reason.isEmpty()) {
                LOG.info("{} is SERVING again", SERVICE);
            } else {
                LOG.warn("{} is NOT_SERVING: {}", SERVICE, reason);
            }
            unhealthy = reason;
        }
        health.setStatus(SERVICE, reason.isEmpty() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
        if (reason.isEmpty()) {
            reserve.restore();
        }
    }

    /** Why the store cannot be used now (a read of its revision fails), or empty. */
    private String storeProblem() {
        try {
            store.revision();
            return "";
        } catch (DomainException e) {
            return "the store " + config.store() + " is unreachable: " + e.getMessage();
        }
    }

    /** Where clients reach this daemon, for join tokens: the listen address, or this host's name on a wildcard one. */
    private List<String> addresses() {
        String host = config.listenHost();
        boolean wildcard = host.equals("0.0.0.0") || host.equals("::") || host.isEmpty();
        String shown = wildcard ? ServerCertificate.hostName() : host;
        return List.of((shown.contains(":") ? "[" + shown + "]" : shown) + ":" + port());
    }

    /**
     * Reads the TLS certificate, key and client CA again (SIGHUP): new connections get them,
     * open ones keep theirs. False, with the reason logged, when they do not read; nothing to do
     * without TLS.
     */
    public boolean reloadTls() {
        return tls == null || tls.reload();
    }

    /** The port the gRPC server listens on (useful with port 0). */
    public int port() {
        return server.getPort();
    }

    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.getPort();
    }

    /** Stops taking calls, lets in-flight unary calls finish, ends streams, keeps instances running. */
    public void shutdown(Duration grace) {
        LOG.info("hypervisord shutting down; instances keep running");
        health.enterTerminalState();
        server.shutdown();
        if (socket != null) {
            socket.server().shutdown();
        }
        streams.shutdownAll();
        try {
            if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        if (socket != null) {
            socket.close();
        }
        timer.shutdownNow();
        healthChecks.shutdownNow();
        if (metricsServer != null) {
            metricsServer.close();
        }
        trust.close();
        controlPlane.close();
        if (audit != null) {
            audit.close();
        }
        LOG.info("hypervisord stopped");
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
