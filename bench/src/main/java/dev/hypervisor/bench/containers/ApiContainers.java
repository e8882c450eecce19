package dev.hypervisor.bench.containers;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.NetworkSpec;
import dev.hypervisor.bench.DaemonUnderTest;
import dev.hypervisor.bench.InstanceEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Containers through the daemon's API, timed on one WatchInstance stream opened before the
 * first create: every event is stamped with {@link System#nanoTime()} on arrival, by instance
 * id, so a creator learns when its container reached STARTING and RUNNING (an event may even
 * arrive before the CreateInstance response does).
 */
final class ApiContainers implements AutoCloseable {

    /** One create as the client saw it, in nanoTime: request sent, response received, STARTING and RUNNING events. */
    record Timeline(String id, long sent, long acknowledged, long starting, long running) {
        long createToRunning() {
            return running - sent;
        }
    }

    private static final Duration CALL_DEADLINE = Duration.ofSeconds(30);

    private final List<ComputeServiceGrpc.ComputeServiceBlockingStub> stubs = new ArrayList<>();
    private final String image;
    private final InstanceEvents events;
    private final Set<String> live = ConcurrentHashMap.newKeySet();

    /** Opens the watch on {@code channels} fresh channels' first one and waits until it is established. */
    ApiContainers(DaemonUnderTest daemon, String image, int channels) throws InterruptedException {
        this.image = image;
        for (int i = 0; i < channels; i++) {
            stubs.add(ComputeServiceGrpc.newBlockingStub(daemon.channel()));
        }
        this.events = new InstanceEvents(daemon, InstanceType.INSTANCE_TYPE_CONTAINER);
    }




    /** Sends CreateInstance for a container running {@code sleep 100000} with network "none"; returns its id. */
    String create(String name, int stub) {
        return create(name, stub, image, List.of("sleep", "100000"));
    }

    /** Sends CreateInstance for a container of {@code image} running {@code command} with network "none"; returns its id. */
    String create(String name, int stub, String image, List<String> command) {
        CreateInstanceRequest request = CreateInstanceRequest.newBuilder().setName(name)
                .setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(64L << 20)
                        .setNetwork(NetworkSpec.newBuilder().setNetworkId("none"))
                        .addAllCommand(command))
                .build();
        String id = stubs.get(Math.floorMod(stub, stubs.size()))
                .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).createInstance(request).getId();
        live.add(id);
        return id;
    }

    /** Creates a container and waits for its RUNNING event; returns the timeline. */
    Timeline createAndAwaitRunning(String name, int stub, Duration timeout) {
        long sent = System.nanoTime();
        String id = create(name, stub);
        long acknowledged = System.nanoTime();
        long running = awaitRunning(id, timeout);
        long starting = events.startingOr(id, running);
        return new Timeline(id, sent, acknowledged, starting, running);
    }

    /** The nanoTime at which the RUNNING event of {@code id} arrived; throws if it went to ERROR or did not come in time. */
    long awaitRunning(String id, Duration timeout) {
        return events.awaitRunning(id, timeout);
    }

    /** Deletes the containers (force: {@code sleep} as pid 1 ignores SIGTERM) and waits for every DELETED event. */
    void deleteAll(List<String> ids, Duration timeout) {
        for (int i = 0; i < ids.size(); i++) {
            stubs.get(i % stubs.size()).withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(ids.get(i)).setForce(true).build());
        }
        events.awaitAllDeleted(ids, timeout);
        live.removeAll(ids);
    }

    /** Containers created through this client and not yet seen deleted. */
    List<String> live() {
        return List.copyOf(live);
    }


    @Override
    public void close() {
        // The channels close with the daemon.
    }
}
