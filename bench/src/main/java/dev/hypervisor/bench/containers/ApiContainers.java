package dev.hypervisor.bench.containers;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.NetworkSpec;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.bench.DaemonUnderTest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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

    /** What the watch saw of one instance. */
    private static final class Track {
        final CompletableFuture<Long> starting = new CompletableFuture<>();
        final CompletableFuture<Long> running = new CompletableFuture<>();
        final CompletableFuture<Long> deleted = new CompletableFuture<>();
    }

    private final List<ComputeServiceGrpc.ComputeServiceBlockingStub> stubs = new ArrayList<>();
    private final String image;
    private final Map<String, Track> tracks = new ConcurrentHashMap<>();
    private final Set<String> live = ConcurrentHashMap.newKeySet();
    private volatile String streamFailure = "";

    /** Opens the watch on {@code channels} fresh channels' first one and waits until it is established. */
    ApiContainers(DaemonUnderTest daemon, String image, int channels) throws InterruptedException {
        this.image = image;
        for (int i = 0; i < channels; i++) {
            stubs.add(ComputeServiceGrpc.newBlockingStub(daemon.channel()));
        }
        CountDownLatch established = new CountDownLatch(1);
        ComputeServiceGrpc.newStub(daemon.channel()).watchInstance(WatchInstanceRequest.newBuilder()
                .setType(InstanceType.INSTANCE_TYPE_CONTAINER).setSendInitial(true).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(InstanceEvent event) {
                        long now = System.nanoTime();
                        if (event.getType() == InstanceEvent.Type.BOOKMARK) {
                            established.countDown();
                        } else {
                            record(event, now);
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        fail(Status.fromThrowable(t).toString());
                        established.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        fail("the server ended the watch");
                        established.countDown();
                    }
                });
        if (!established.await(30, TimeUnit.SECONDS) || !streamFailure.isEmpty()) {
            throw new IllegalStateException("the WatchInstance stream did not start: " + streamFailure);
        }
    }

    private void record(InstanceEvent event, long now) {
        var instance = event.getInstance();
        Track track = track(instance.getId());
        if (event.getType() == InstanceEvent.Type.DELETED) {
            track.deleted.complete(now);
            track.running.completeExceptionally(new IllegalStateException(instance.getId() + " was deleted"));
            return;
        }
        switch (instance.getState()) {
            case INSTANCE_STATE_STARTING -> track.starting.complete(now);
            case INSTANCE_STATE_RUNNING -> track.running.complete(now);
            case INSTANCE_STATE_ERROR, INSTANCE_STATE_STOPPED -> track.running.completeExceptionally(
                    new IllegalStateException(instance.getId() + " went " + instance.getState() + ": "
                            + instance.getErrorMessage()));
            default -> { }
        }
    }

    private Track track(String id) {
        return tracks.computeIfAbsent(id, k -> new Track());
    }

    private void fail(String why) {
        streamFailure = why.isEmpty() ? "stream failed" : why;
        IllegalStateException e = new IllegalStateException("WatchInstance failed: " + streamFailure);
        tracks.values().forEach(t -> {
            t.running.completeExceptionally(e);
            t.deleted.completeExceptionally(e);
        });
    }

    /** Sends CreateInstance for a container running {@code sleep 100000} with network "none"; returns its id. */
    String create(String name, int stub) {
        CreateInstanceRequest request = CreateInstanceRequest.newBuilder().setName(name)
                .setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(64L << 20)
                        .setNetwork(NetworkSpec.newBuilder().setNetworkId("none"))
                        .addCommand("sleep").addCommand("100000"))
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
        Long starting = track(id).starting.getNow(running);
        return new Timeline(id, sent, acknowledged, starting, running);
    }

    /** The nanoTime at which the RUNNING event of {@code id} arrived; throws if it went to ERROR or did not come in time. */
    long awaitRunning(String id, Duration timeout) {
        return await(track(id).running, id + " to be RUNNING", timeout);
    }

    /** Deletes the containers (force: {@code sleep} as pid 1 ignores SIGTERM) and waits for every DELETED event. */
    void deleteAll(List<String> ids, Duration timeout) {
        for (int i = 0; i < ids.size(); i++) {
            stubs.get(i % stubs.size()).withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(ids.get(i)).setForce(true).build());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String id : ids) {
            await(track(id).deleted, id + " to be deleted", Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            live.remove(id);
            tracks.remove(id);
        }
    }

    /** Containers created through this client and not yet seen deleted. */
    List<String> live() {
        return List.copyOf(live);
    }

    private static long await(CompletableFuture<Long> future, String what, Duration timeout) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out after " + timeout.toSeconds() + "s waiting for " + what);
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + what, e);
        }
    }

    @Override
    public void close() {
        // The channels close with the daemon.
    }
}
