package dev.hypervisor.bench;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The benchmarks' clock on the daemon's instances of one type: one WatchInstance stream,
 * opened (and established) before the first create, stamps every event with
 * {@link System#nanoTime()} on arrival, by instance id. So a creator learns when its instance
 * reached STARTING, RUNNING or was deleted, even if the event arrives before the
 * CreateInstance response does.
 */
public final class InstanceEvents {

    /** What the watch saw of one instance. */
    private static final class Track {
        final CompletableFuture<Long> starting = new CompletableFuture<>();
        final CompletableFuture<Long> running = new CompletableFuture<>();
        final CompletableFuture<Long> deleted = new CompletableFuture<>();
        /** Why it stopped running (ERROR, STOPPED or deleted), even after it was RUNNING. */
        final CompletableFuture<String> ended = new CompletableFuture<>();
    }

    private final Map<String, Track> tracks = new ConcurrentHashMap<>();
    private volatile String streamFailure = "";

    /** Opens the watch of {@code type}'s instances and waits until it is established. */
    public InstanceEvents(DaemonUnderTest daemon, InstanceType type) throws InterruptedException {
        CountDownLatch established = new CountDownLatch(1);
        ComputeServiceGrpc.newStub(daemon.channel()).watchInstance(WatchInstanceRequest.newBuilder()
                .setType(type).setSendInitial(true).build(), new StreamObserver<>() {
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
            track.ended.complete(instance.getId() + " was deleted");
            track.running.completeExceptionally(new IllegalStateException(instance.getId() + " was deleted"));
            return;
        }
        switch (instance.getState()) {
            case INSTANCE_STATE_STARTING -> track.starting.complete(now);
            case INSTANCE_STATE_RUNNING -> track.running.complete(now);
            case INSTANCE_STATE_ERROR, INSTANCE_STATE_STOPPED -> {
                String why = instance.getId() + " went " + instance.getState() + ": " + instance.getErrorMessage();
                track.ended.complete(why);
                track.running.completeExceptionally(new IllegalStateException(why));
            }
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
            t.ended.complete(e.getMessage());
        });
    }

    /** When the RUNNING event of {@code id} arrived; throws if it failed or did not come in time. */
    public long awaitRunning(String id, Duration timeout) {
        return await(track(id).running, id + " to be RUNNING", timeout);
    }

    /** When the STARTING event of {@code id} arrived, or {@code otherwise} if none did (yet). */
    public long startingOr(String id, long otherwise) {
        return track(id).starting.getNow(otherwise);
    }

    /** When the DELETED event of {@code id} arrived; then forgets it. */
    public long awaitDeleted(String id, Duration timeout) {
        long at = await(track(id).deleted, id + " to be deleted", timeout);
        tracks.remove(id);
        return at;
    }

    /** Waits for the DELETED event of each of {@code ids}, all within {@code timeout}; then forgets them. */
    public void awaitAllDeleted(java.util.Collection<String> ids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String id : ids) {
            awaitDeleted(id, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
    }

    /** Counts {@code id} as deleted now (it was gone before this client deleted it). */
    public void deletedAlready(String id) {
        track(id).deleted.complete(System.nanoTime());
    }

    /** Why the instance will never run (it went ERROR or STOPPED, or was deleted); empty while it may. */
    public String failure(String id) {
        return track(id).ended.getNow("");
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
}
