package dev.hypervisor.bench;

import dev.hypervisor.api.v1.AddTrustRequest;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.Role;
import dev.hypervisor.api.v1.TrustServiceGrpc;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.Instances;
import dev.hypervisor.tls.SelfSigned;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Figure 6: GetInstance over TLS with a client certificate (TCP on loopback, the caller found in
 * the trust store) against the same call in plaintext on the unix socket of the same daemon, one
 * call of each in turn. Each channel keeps its one connection, so the TLS side pays the record
 * layer and the per-call identity check, not a handshake per call. The socket is the only
 * plaintext listener a TLS daemon has, and no slower than plaintext TCP: a stricter baseline.
 */
record MtlsBench(ControlPlaneOptions options) {

    private static final int DEADLINE_SECONDS = 10;

    void run(Path work, Report report) throws Exception {
        Path dir = work.resolve("mtls");
        Files.createDirectories(dir);
        Path socket = dir.resolve("hv.sock");
        try (DaemonProcess daemon = BenchDaemon.start("mtls", BenchDaemon.class.getName(), List.of("--data-dir",
                dir.resolve("data").toString(), "--node-id", Populate.NODE_ID, "--tls", "--socket", socket.toString()),
                dir.resolve("daemon.log"), Duration.ofSeconds(300))) {
            ManagedChannel plain = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build();
            SelfSigned.Pair me = SelfSigned.write(dir.resolve("client.crt"), dir.resolve("client.key"),
                    SelfSigned.Subject.named("bench"), SelfSigned.Purpose.CLIENT, Duration.ofDays(1));
            TrustServiceGrpc.newBlockingStub(plain).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .addTrust(AddTrustRequest.newBuilder().setCertificate(Files.readString(me.cert()))
                            .setRole(Role.ROLE_VIEWER).build());
            ManagedChannel tls = Grpc.newChannelBuilder("localhost:" + daemon.port(), TlsChannelCredentials.newBuilder()
                    .trustManager(dir.resolve("data/tls/server.crt").toFile())
                    .keyManager(me.cert().toFile(), me.key().toFile()).build()).build();
            try {
                Instances instances = new Instances(() -> plain, Duration.ofSeconds(30));
                String id = instances.create(CreateThroughputBench.request("mtls-target"));
                instances.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
                daemon.awaitQuiet(Duration.ofSeconds(60));
                GetInstanceRequest get = GetInstanceRequest.newBuilder().setInstanceId(id).build();
                var overTls = ComputeServiceGrpc.newBlockingStub(tls);
                var overSocket = ComputeServiceGrpc.newBlockingStub(plain);
                Percentiles tlsLatency = new Percentiles();
                Percentiles plainLatency = new Percentiles();
                int warmUp = Math.max(1000, options.latencyCalls / 2);
                int calls = options.latencyCalls * options.rounds;
                for (int i = 0; i < warmUp + calls; i++) {
                    long tlsNanos = time(() -> check(overTls.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                            .getInstance(get).getId(), id));
                    long plainNanos = time(() -> check(overSocket.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                            .getInstance(get).getId(), id));
                    if (i >= warmUp) {
                        tlsLatency.add(tlsNanos);
                        plainLatency.add(plainNanos);
                    }
                }
                report.latency("6 GetInstance p50, mTLS vs plaintext (unix socket)", tlsLatency, plainLatency, 50, 1.2);
                report.latency("6 GetInstance p99, mTLS vs plaintext (unix socket)", tlsLatency, plainLatency, 99, 1.2);
                floor(dir, me, warmUp, calls, true, report);
                floor(dir, me, warmUp, calls, false, report);
            } finally {
                tls.shutdownNow();
                plain.shutdownNow();
            }
        }
    }

    /**
     * The floor: what TLS costs grpc-java itself, on a bare server in this JVM that answers
     * Health/Check only, one on TCP with the same kind of credentials as the daemon's (a
     * self-signed EC key, client certificates asked for), one in plaintext on a unix socket as the
     * daemon's is served; called as figure 6 calls the daemon.
     */
    private static void floor(Path dir, SelfSigned.Pair client, int warmUp, int calls, boolean asTheDaemon, Report report)
            throws Exception {
        SelfSigned.Pair serverPair = SelfSigned.write(dir.resolve("floor.crt"), dir.resolve("floor.key"),
                new SelfSigned.Subject("localhost", null, List.of("localhost"), List.of("127.0.0.1")),
                SelfSigned.Purpose.SERVER, Duration.ofDays(1));
        io.grpc.protobuf.services.HealthStatusManager health = new io.grpc.protobuf.services.HealthStatusManager();
        // As the daemon's listener is set up: a reloadable key manager, every client certificate let
        // through the handshake (the daemon decides per call), client certificates asked for.
        // Or, for comparison, the same certificate as files and the client's certificate as the only trusted one.
        io.grpc.TlsServerCredentials.Builder credentials = io.grpc.TlsServerCredentials.newBuilder()
                .clientAuth(io.grpc.TlsServerCredentials.ClientAuth.OPTIONAL);
        if (asTheDaemon) {
            io.grpc.util.AdvancedTlsX509KeyManager keys = new io.grpc.util.AdvancedTlsX509KeyManager();
            keys.updateIdentityCredentials(serverPair.cert().toFile(), serverPair.key().toFile());
            credentials.keyManager(keys).trustManager(new AnyCertificate());
        } else {
            credentials.keyManager(serverPair.cert().toFile(), serverPair.key().toFile())
                    .trustManager(client.cert().toFile());
        }
        io.grpc.Server tlsServer = Grpc.newServerBuilderForPort(0, credentials.build())
                .addService(health.getHealthService()).build().start();
        Path socket = dir.resolve(asTheDaemon ? "floor.sock" : "floor-files.sock");
        io.grpc.netty.shaded.io.netty.channel.EventLoopGroup loop = new io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup(1);
        io.grpc.Server plainServer = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(
                new io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress(socket.toString()))
                .channelType(io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(loop).workerEventLoopGroup(loop)
                .addService(health.getHealthService()).build().start();
        ManagedChannel tls = Grpc.newChannelBuilder("localhost:" + tlsServer.getPort(), TlsChannelCredentials.newBuilder()
                .trustManager(serverPair.cert().toFile()).keyManager(client.cert().toFile(), client.key().toFile())
                .build()).build();
        ManagedChannel plain = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build();
        try {
            var overTls = io.grpc.health.v1.HealthGrpc.newBlockingStub(tls);
            var overSocket = io.grpc.health.v1.HealthGrpc.newBlockingStub(plain);
            var check = io.grpc.health.v1.HealthCheckRequest.getDefaultInstance();
            Percentiles tlsLatency = new Percentiles();
            Percentiles plainLatency = new Percentiles();
            for (int i = 0; i < warmUp + calls; i++) {
                long tlsNanos = time(() -> overTls.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).check(check));
                long plainNanos = time(() -> overSocket.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).check(check));
                if (i >= warmUp) {
                    tlsLatency.add(tlsNanos);
                    plainLatency.add(plainNanos);
                }
            }
            String how = asTheDaemon ? "daemon's TLS set-up" : "certificate files";
            report.printed("6 floor: bare grpc-java Health/Check p50, TLS (" + how + ") vs plaintext socket",
                    tlsLatency.p50(), plainLatency.p50());
            report.printed("6 floor: bare grpc-java Health/Check p99, TLS (" + how + ") vs plaintext socket",
                    tlsLatency.p99(), plainLatency.p99());
        } finally {
            tls.shutdownNow();
            plain.shutdownNow();
            tlsServer.shutdownNow();
            plainServer.shutdownNow();
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    /** Lets every client certificate through the handshake, as the daemon's listener does. */
    private static final class AnyCertificate extends javax.net.ssl.X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType, java.net.Socket s) {}

        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType,
                javax.net.ssl.SSLEngine e) {}

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType)
                throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("a server-side trust manager");
        }

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType, java.net.Socket s)
                throws java.security.cert.CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType,
                javax.net.ssl.SSLEngine e) throws java.security.cert.CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public java.security.cert.X509Certificate[] getAcceptedIssuers() {
            return new java.security.cert.X509Certificate[0];
        }
    }

    /** Figure 6 alone: {@code bench/run.sh mtls [--quick]}. */
    public static void main(String[] args) {
        BenchRun.main(args, new ControlPlaneOptions(), List.of(), (o, r) -> {
            r.header("");
            new MtlsBench(o).run(r.work(), r.report());
            return "6 = the same call in plaintext on the same daemon's unix socket.";
        });
    }

    private static long time(Runnable call) {
        long start = System.nanoTime();
        call.run();
        return System.nanoTime() - start;
    }

    private static void check(String got, String want) {
        if (!got.equals(want)) {
            throw new IllegalStateException("GetInstance returned another instance");
        }
    }
}
