package dev.hypervisor.server;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.core.runtime.RuntimePlugin;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A daemon on a real SQLite file behind an in-process gRPC server, with real stubs to call it. */
final class InProcessDaemon implements AutoCloseable {

    final Daemon daemon;
    final Store store;
    final ManagedChannel channel;
    final ComputeServiceGrpc.ComputeServiceBlockingStub blocking;
    final ComputeServiceGrpc.ComputeServiceStub async;

    InProcessDaemon(Path dataDir, List<? extends RuntimePlugin> runtimes) {
        String name = InProcessServerBuilder.generateName();
        DaemonConfig config = DaemonConfig.defaults(dataDir, "node-1").withRuntimes(runtimes)
                .withMetrics("", -1).withRelistInterval(Duration.ofMillis(500));
        store = SqliteStore.open(dataDir.resolve("state.db"), SqliteStoreOptions.defaults());
        try {
            daemon = Daemon.start(config, store, InProcessServerBuilder.forName(name).directExecutor());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        blocking = ComputeServiceGrpc.newBlockingStub(channel);
        async = ComputeServiceGrpc.newStub(channel);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        daemon.shutdown(Duration.ofSeconds(2));
    }
}
