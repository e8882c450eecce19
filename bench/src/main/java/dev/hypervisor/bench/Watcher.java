package dev.hypervisor.bench;

import com.google.protobuf.Timestamp;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One WatchInstance stream of figure 4: skips the initial state, then records every change
 * by instance id (event type and state, in arrival order), checks that revisions strictly
 * increase, and samples receive time minus the instance's updated_at.
 */
final class Watcher implements ClientResponseObserver<WatchInstanceRequest, InstanceEvent> {

    /** CREATED in CREATING, UPDATED to STARTING, UPDATED to RUNNING: what a create should show. */
    private static final int[] EXPECTED = {
            code(InstanceEvent.Type.CREATED, InstanceState.INSTANCE_STATE_CREATING),
            code(InstanceEvent.Type.UPDATED, InstanceState.INSTANCE_STATE_STARTING),
            code(InstanceEvent.Type.UPDATED, InstanceState.INSTANCE_STATE_RUNNING)};

    private final CountDownLatch ready;
    private final AtomicLong delivered;
    private final Map<String, int[]> seen = new HashMap<>();
    private final Percentiles latencies = new Percentiles(4096);
    private ClientCallStreamObserver<WatchInstanceRequest> call;
    private boolean initialDone;
    private boolean measuring;
    private long lastRevision;
    private String disorder = "";
    private volatile String failure = "";
    private volatile boolean cancelled;

    Watcher(CountDownLatch ready, AtomicLong delivered) {
        this.ready = ready;
        this.delivered = delivered;
    }

    private static int code(InstanceEvent.Type type, InstanceState state) {
        return type.getNumber() * 100 + state.getNumber();
    }

    /** From {@code sent} to {@code received}, both wall-clock times of this host. */
    static long nanosSince(Timestamp sent, Instant received) {
        return (received.getEpochSecond() - sent.getSeconds()) * 1_000_000_000L + received.getNano() - sent.getNanos();
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchInstanceRequest> requestStream) {
        this.call = requestStream;
    }

    @Override
    public synchronized void onNext(InstanceEvent event) {
        Instant received = Instant.now();
        if (!initialDone) {
            if (event.getType() == InstanceEvent.Type.BOOKMARK) {
                initialDone = true; // the bookmark that ends the initial state
                ready.countDown();
            }
            return;
        }
        if (event.getType() == InstanceEvent.Type.BOOKMARK || event.getType() == InstanceEvent.Type.INITIAL) {
            return;
        }
        if (event.getRevision() <= lastRevision && disorder.isEmpty()) {
            disorder = "revision " + event.getRevision() + " after " + lastRevision;
        }
        lastRevision = Math.max(lastRevision, event.getRevision());
        if (measuring) {
            latencies.add(nanosSince(event.getInstance().getUpdatedAt(), received));
        }
        int[] codes = seen.computeIfAbsent(event.getInstance().getId(), id -> new int[4]);
        if (codes[0] < 3) {
            codes[codes[0] + 1] = code(event.getType(), event.getInstance().getState());
        }
        codes[0]++;
        delivered.incrementAndGet();
    }

    @Override
    public void onError(Throwable t) {
        if (!cancelled) {
            failure = Status.fromThrowable(t).toString();
        }
        ready.countDown();
    }

    @Override
    public void onCompleted() {
        if (!cancelled) {
            failure = "the server ended the stream";
        }
        ready.countDown();
    }

    synchronized void startMeasuring() {
        measuring = true;
    }

    void cancel() {
        cancelled = true;
        if (call != null) {
            call.cancel("benchmark done", null);
        }
    }

    synchronized Percentiles latencies() {
        return latencies;
    }

    /** What went wrong for this watcher, or empty: a stream error, disorder, or an id without exactly the expected events. */
    synchronized String problem(List<String> createdIds) {
        if (!failure.isEmpty()) {
            return failure;
        }
        if (!disorder.isEmpty()) {
            return disorder;
        }
        for (String id : createdIds) {
            int[] codes = seen.get(id);
            if (!asExpected(codes)) {
                return codes == null ? "no events for " + id : id + ": " + codes[0] + " events "
                        + Arrays.toString(Arrays.copyOfRange(codes, 1, 4)) + ", expected " + Arrays.toString(EXPECTED);
            }
        }
        if (seen.size() != createdIds.size()) {
            return "events for " + (seen.size() - createdIds.size()) + " instances not created by this benchmark";
        }
        return "";
    }

    /** Events for the given instances that arrived as expected. */
    synchronized long exact(List<String> createdIds) {
        return 3 * createdIds.stream().filter(id -> asExpected(seen.get(id))).count();
    }

    private static boolean asExpected(int[] codes) {
        return codes != null && codes[0] == 3 && Arrays.equals(Arrays.copyOfRange(codes, 1, 4), EXPECTED);
    }
}
