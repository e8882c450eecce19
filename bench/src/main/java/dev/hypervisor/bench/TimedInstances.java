package dev.hypervisor.bench;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.Instances;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * The benchmarks' clock on the daemon's instances of one type, driven through the testkit's {@link Instances}: one
 * WatchInstance stream, open before the first create, stamps every event on arrival, so a creator learns when its
 * instance ran even if that comes before the response.
 */
public final class TimedInstances {

    /** What the watch saw of one instance. */
    private static final class Track {
        final CompletableFuture<Long> starting = new CompletableFuture<>();
        final CompletableFuture<Long> running = new CompletableFuture<>();
        /** Why it stopped running (ERROR, STOPPED or deleted), even after it was RUNNING. */
        final CompletableFuture<String> ended = new CompletableFuture<>();

        void end(String why) {
            ended.complete(why);
            running.completeExceptionally(new IllegalStateException(why));
        }
    }

    private final Instances api;
    private final Map<String, Track> tracks = new ConcurrentHashMap<>();
    private volatile String streamFailure = "";

    /** Calls go round-robin over {@code channels} connections of their own; the watch has another. */
    public TimedInstances(DaemonProcess daemon, InstanceType type, int channels) throws InterruptedException {
        List<ManagedChannel> connections = IntStream.range(0, channels).mapToObj(i -> daemon.newChannel()).toList();
        AtomicInteger next = new AtomicInteger();
        this.api = new Instances(() -> connections.get(Math.floorMod(next.getAndIncrement(), channels)),
                Duration.ofSeconds(60));
        CountDownLatch established = new CountDownLatch(1);
        ComputeServiceGrpc.newStub(daemon.newChannel()).watchInstance(WatchInstanceRequest.newBuilder()
                .setType(type).setSendInitial(true).build(), Async.observer(event -> {
                    long now = System.nanoTime();
                    if (event.getType() == InstanceEvent.Type.BOOKMARK) {
                        established.countDown();
                    } else {
                        record(event, now);
                    }
                }, t -> {
                    fail(t == null ? "the server ended the watch" : Status.fromThrowable(t).toString());
                    established.countDown();
                }));
        if (!established.await(30, TimeUnit.SECONDS) || !streamFailure.isEmpty()) {
            throw new IllegalStateException("the WatchInstance stream did not start: " + streamFailure);
        }
    }

    public Instances api() {
        return api;
    }

    public String create(CreateInstanceRequest request) {
        return api.create(request);
    }

    /** When the RUNNING event of {@code id} arrived; throws if it failed or did not come in time. */
    public long awaitRunning(String id, Duration timeout) {
        return Async.await(track(id).running, id + " to be RUNNING", timeout, () -> "");
    }

    /** When the STARTING event of {@code id} arrived, or {@code otherwise} if none did (yet). */
    public long startingOr(String id, long otherwise) {
        return track(id).starting.getNow(otherwise);
    }

    /** Why the instance will never run (it went ERROR or STOPPED, or was deleted); empty while it may. */
    public String failure(String id) {
        return track(id).ended.getNow("");
    }

    public void delete(String id, Duration timeout) {
        api.deleteAll(List.of(id), timeout);
    }

    /** Force-deletes them and waits until each is gone (untimed: removal is never part of a figure). */
    public void deleteAll(List<String> ids, Duration timeout) {
        api.deleteAll(ids, timeout);
    }

    public List<String> live() {
        return api.live();
    }

    private void record(InstanceEvent event, long now) {
        var instance = event.getInstance();
        if (event.getType() == InstanceEvent.Type.DELETED) {
            Track gone = tracks.remove(instance.getId()); // its last event: nothing waits for it any more
            if (gone != null) {
                gone.end(instance.getId() + " was deleted");
            }
            return;
        }
        Track track = track(instance.getId());
        switch (instance.getState()) {
            case INSTANCE_STATE_STARTING -> track.starting.complete(now);
            case INSTANCE_STATE_RUNNING -> track.running.complete(now);
            case INSTANCE_STATE_ERROR, INSTANCE_STATE_STOPPED ->
                    track.end(instance.getId() + " went " + instance.getState() + ": " + instance.getErrorMessage());
            default -> { }
        }
    }

    private Track track(String id) {
        return tracks.computeIfAbsent(id, k -> new Track());
    }

    private void fail(String why) {
        streamFailure = why;
        tracks.values().forEach(t -> t.end("WatchInstance failed: " + why));
    }
}
