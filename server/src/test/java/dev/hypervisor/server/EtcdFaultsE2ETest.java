package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import dev.hypervisor.api.v1.Metadata;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.store.etcd.EtcdStore;
import dev.hypervisor.store.etcd.EtcdStoreOptions;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.etcd.EtcdCluster;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon on a real three-member etcd cluster while etcd fails: the leader killed with -9
 * during 500 concurrent creates, and the whole cluster stopped for 10 s. Each test brings its
 * own cluster (the test driver runs the instances, so only the store is under test).
 */
class EtcdFaultsE2ETest {

    private static final String SERVICE = "hypervisor.v1.ComputeService";

    @TempDir
    Path tmp;

    private EtcdCluster etcd;
    private DaemonProcess daemon;
    private RegistryServer registry;
    private String image;

    @BeforeEach
    void startClusterAndDaemon() throws Exception {
        // The instances pull a real image from a loopback registry, so that they reach RUNNING (on the test driver).
        registry = RegistryServer.start(Files.createDirectories(tmp.resolve("registry")));
        image = registry.host() + "/library/busybox:1";
        OciImageBuilder.busyboxImage().cmd("/bin/sh").writeTo(tmp.resolve("layout"), "busybox").push(image);
        etcd = EtcdCluster.start(tmp.resolve("etcd"), 3);
        daemon = E2eDaemons.start(tmp.resolve("data"), true, "--store", etcd.storeUri(), "--store-prefix", "/faults");
    }

    @AfterEach
    void stop() {
        try {
            if (daemon != null) {
                daemon.close();
            }
        } finally {
            etcd.close();
            registry.close();
        }
    }

    @Test
    void killingTheLeaderDuringConcurrentCreatesLosesNoAcknowledgedCreateAndLeavesNothingHalfMade() throws Exception {
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        List<Status.Code> failures = new CopyOnWriteArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(32);
        AtomicInteger done = new AtomicInteger();
        for (int i = 0; i < 500; i++) {
            String name = "leader-" + i;
            clients.execute(() -> {
                try {
                    acknowledged.put(daemon.blocking().withDeadlineAfter(30, TimeUnit.SECONDS).createInstance(create(name)).getId(), name);
                } catch (StatusRuntimeException e) {
                    failures.add(e.getStatus().getCode());
                } finally {
                    done.incrementAndGet();
                }
            });
        }
        awaitTrue(() -> acknowledged.size() >= 50, Duration.ofSeconds(60), "50 creates acknowledged");
        EtcdCluster.Member leader = etcd.leader();
        etcd.kill(leader);
        clients.shutdown();
        assertThat(clients.awaitTermination(120, TimeUnit.SECONDS)).as("all 500 creates answered").isTrue();
        assertThat(done.get()).isEqualTo(500);
        assertThat(failures).as("creates that failed while a new leader was elected fail retryably")
                .allMatch(code -> code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED);

        // The daemon carries on on the two members left, without a restart.
        String after = daemon.blocking().withDeadlineAfter(30, TimeUnit.SECONDS).createInstance(create("after-the-kill")).getId();
        acknowledged.put(after, "after-the-kill");

        Map<String, String> listed = listAll(daemon);
        assertThat(listed).containsAllEntriesOf(acknowledged);
        assertThat(new java.util.HashSet<>(listed.values())).as("each name once").hasSize(listed.size());
        // The store is checked once the reconciler is done with them: a record and its state index
        // are read by separate ranges, which a transition between the two would tell apart.
        for (String id : listed.keySet()) {
            awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        }
        try (Store store = EtcdStore.open(EtcdStoreOptions.of(running(etcd)).withPrefix("/faults"))) {
            assertThat(StoreConsistency.assertConsistent(store)).isEqualTo(listed.size());
        }
    }

    @Test
    void withEveryMemberDownForTenSecondsCallsAreUnavailableThenWorkAndInstancesAndWatchesCarryOn() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(daemon.blocking().createInstance(create("outage-" + i)).getId());
        }
        for (String id : ids) {
            awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        }
        List<InstanceEvent> events = new CopyOnWriteArrayList<>();
        CompletableFuture<Status> ended = new CompletableFuture<>();
        // With the initial events, whose BOOKMARK says the watch is established before etcd goes away.
        daemon.async().watchInstance(WatchInstanceRequest.newBuilder().setSendInitial(true).build(), new StreamObserver<>() {
            @Override
            public void onNext(InstanceEvent event) {
                events.add(event);
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                ended.complete(Status.OK);
            }
        });

        awaitTrue(() -> events.stream().anyMatch(e -> e.getType() == InstanceEvent.Type.BOOKMARK), Duration.ofSeconds(20),
                "the watch's first BOOKMARK");
        long down = System.nanoTime();
        etcd.members().forEach(etcd::stop);
        assertThatThrownBy(() -> daemon.blocking().withDeadlineAfter(20, TimeUnit.SECONDS)
                .getInstance(GetInstanceRequest.newBuilder().setInstanceId(ids.get(0)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).contains("etcd");
                });
        assertThatThrownBy(() -> daemon.blocking().withDeadlineAfter(20, TimeUnit.SECONDS).createInstance(create("during")))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        awaitTrue(() -> health() == ServingStatus.NOT_SERVING, Duration.ofSeconds(20), "health NOT_SERVING while etcd is down");
        long left = Duration.ofSeconds(10).toNanos() - (System.nanoTime() - down);
        if (left > 0) {
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left)); // the outage lasts 10 s, as the issue asks
        }
        etcd.members().forEach(etcd::restart);
        etcd.members().forEach(etcd::awaitHealthy);

        awaitTrue(() -> health() == ServingStatus.SERVING, Duration.ofSeconds(30), "health SERVING again");
        for (String id : ids) {
            assertThat(get(id).getState()).as(id + " untouched").isEqualTo(InstanceState.INSTANCE_STATE_RUNNING);
        }
        String late = daemon.blocking().withDeadlineAfter(30, TimeUnit.SECONDS).createInstance(create("after-outage")).getId();
        awaitState(late, InstanceState.INSTANCE_STATE_RUNNING);
        // The watch either resumed (it sees the new instance, no event twice) or was told to relist.
        awaitTrue(() -> ended.isDone() || events.stream().anyMatch(e -> e.getInstance().getId().equals(late)
                && e.getInstance().getState() == InstanceState.INSTANCE_STATE_RUNNING), Duration.ofSeconds(30),
                "the watch to deliver after-outage's RUNNING or end");
        if (ended.isDone()) {
            assertThat(ended.get().getCode()).as("the watch ended (%s); daemon log:\n%s", ended.get(), tail(daemon.logText()))
                    .isEqualTo(Status.Code.OUT_OF_RANGE);
        }
        List<Long> revisions = events.stream()
                .filter(e -> e.getType() != InstanceEvent.Type.BOOKMARK && e.getType() != InstanceEvent.Type.INITIAL)
                .map(InstanceEvent::getRevision).toList();
        assertThat(revisions).doesNotHaveDuplicates().isSorted();
    }

    private ServingStatus health() {
        try {
            return HealthGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(SERVICE).build()).getStatus();
        } catch (StatusRuntimeException e) {
            return ServingStatus.UNKNOWN;
        }
    }

    private CreateInstanceRequest create(String name) {
        return CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setMetadata(Metadata.newBuilder().putLabels("suite", "etcd-faults"))
                .setSpec(InstanceSpec.newBuilder().setImage(image)).build();
    }

    private Instance get(String id) {
        return daemon.blocking().withDeadlineAfter(10, TimeUnit.SECONDS)
                .getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build());
    }

    private void awaitState(String id, InstanceState state) throws InterruptedException {
        awaitTrue(() -> get(id).getState() == state, Duration.ofSeconds(30), id + " " + state);
    }

    private static Map<String, String> listAll(DaemonProcess daemon) {
        Map<String, String> found = new HashMap<>();
        String token = "";
        do {
            ListInstancesResponse page = daemon.blocking().withDeadlineAfter(30, TimeUnit.SECONDS).listInstances(
                    ListInstancesRequest.newBuilder().putLabels("suite", "etcd-faults").setPageSize(100).setPageToken(token).build());
            for (Instance instance : page.getInstancesList()) {
                assertThat(found.put(instance.getId(), instance.getName())).as("listed twice").isNull();
            }
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        return found;
    }

    private static List<String> running(EtcdCluster etcd) {
        return etcd.members().stream().filter(EtcdCluster.Member::running).map(EtcdCluster.Member::clientAddress).toList();
    }

    private void awaitTrue(java.util.function.BooleanSupplier condition, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what + "; daemon log:\n"
                        + tail(daemon.logText()));
            }
            Thread.sleep(50);
        }
    }

    private static String tail(String log) {
        return log.length() > 6000 ? log.substring(log.length() - 6000) : log;
    }
}
