package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import dev.hypervisor.api.v1.Metadata;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.testkit.DaemonProcess;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the daemon during 200 concurrent creates: after a restart every acknowledged
 * instance is there exactly once, and nothing is half made (every record has its name
 * reservation and index keys, and no reservation or index key points at nothing).
 */
class CrashE2ETest {

    @TempDir
    Path tmp;

    @Test
    void everyAcknowledgedCreateSurvivesKillMinusNineExactlyOnce() throws Exception {
        Path data = tmp.resolve("data");
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicInteger failed = new AtomicInteger();
        int port;
        try (DaemonProcess daemon = E2eDaemons.start(data, true)) {
            port = daemon.port();
            ExecutorService clients = Executors.newFixedThreadPool(32);
            for (int i = 0; i < 200; i++) {
                String name = "crash-" + i;
                clients.execute(() -> {
                    try {
                        Instance created = daemon.blocking().createInstance(CreateInstanceRequest.newBuilder()
                                .setName(name).setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                                .setMetadata(Metadata.newBuilder().putLabels("suite", "crash"))
                                .setSpec(InstanceSpec.newBuilder().setImage("busybox")).build());
                        acknowledged.put(created.getId(), name);
                    } catch (StatusRuntimeException e) {
                        failed.incrementAndGet();
                    }
                });
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acknowledged.size() < 60) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("60 creates were not acknowledged within 60 s (" + acknowledged.size()
                            + " were, " + failed.get() + " failed):\n" + daemon.logText());
                }
                Thread.sleep(1);
            }
            daemon.kill9();
            clients.shutdownNow();
            clients.awaitTermination(30, TimeUnit.SECONDS);
        }
        assertThat(acknowledged.size()).as("some creates were acknowledged before the kill").isGreaterThanOrEqualTo(60);

        Map<String, String> found = new HashMap<>();
        try (DaemonProcess restarted = E2eDaemons.start(data, true, port)) {
            String token = "";
            do {
                ListInstancesResponse page = restarted.blocking().listInstances(ListInstancesRequest.newBuilder()
                        .putLabels("suite", "crash").setPageSize(37).setPageToken(token).build());
                for (Instance instance : page.getInstancesList()) {
                    assertThat(found.put(instance.getId(), instance.getName())).as("listed twice").isNull();
                }
                token = page.getNextPageToken();
            } while (!token.isEmpty());
            assertThat(restarted.terminate()).isZero();
        }
        assertThat(found).containsAllEntriesOf(acknowledged);
        assertThat(new HashSet<>(found.values())).hasSize(found.size());
        try (Store store = E2eDaemons.openStore(data)) {
            assertThat(StoreConsistency.assertConsistent(store)).isGreaterThanOrEqualTo(acknowledged.size());
        }
    }
}
