package dev.hypervisor.testkit;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What end-to-end tests and benchmarks do with a daemon's instances through its gRPC API:
 * create, get, wait for a state, delete and wait until gone. Every call has a deadline, every
 * wait a limit. Takes the channel through a supplier: tests restart the daemon, and a
 * benchmark may spread its calls over several connections.
 */
public final class Instances {

    private static final Duration CALL_DEADLINE = Duration.ofSeconds(30);
    private static final long POLL_MILLIS = 20;

    private final Supplier<? extends Channel> channel;
    private final Duration timeout;
    private final Set<String> created = ConcurrentHashMap.newKeySet();

    /** {@code timeout}: how long {@link #awaitState} waits. */
    public Instances(Supplier<? extends Channel> channel, Duration timeout) {
        this.channel = channel;
        this.timeout = timeout;
    }

    /** A blocking stub with the call deadline, on the channel the supplier gives now. */
    public ComputeServiceGrpc.ComputeServiceBlockingStub blocking() {
        return ComputeServiceGrpc.newBlockingStub(channel.get())
                .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** CreateInstance; returns the new instance's id, remembered until it is seen deleted. */
    public String create(CreateInstanceRequest request) {
        String id = blocking().createInstance(request).getId();
        created.add(id);
        return id;
    }

    public Instance get(String id) {
        return blocking().getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build());
    }

    /** Polls until the instance is in {@code state}; fails after the timeout naming the state it was in. */
    public Instance awaitState(String id, InstanceState state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Instance instance = get(id);
        while (instance.getState() != state) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(id + " is " + instance.getState() + ", not " + state + ", after "
                        + timeout.toSeconds() + " s" + (instance.getErrorMessage().isEmpty() ? ""
                        : " (" + instance.getErrorMessage() + ")"));
            }
            sleep();
            instance = get(id);
        }
        return instance;
    }

    /** Deletes the instance as a user would (stopping it gracefully first) and waits until it is gone. */
    public void delete(String id) {
        blocking().deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(id).build());
        awaitGone(List.of(id), timeout);
    }

    /**
     * Force-deletes every one of {@code ids} (one already gone counts as deleted) and waits until
     * each is gone, all within {@code within}. Tries every instance even when one fails, then
     * fails naming each that is left and why.
     */
    public void deleteAll(Collection<String> ids, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        Map<String, String> failures = new LinkedHashMap<>();
        List<String> deleting = new ArrayList<>();
        for (String id : ids) {
            try {
                blocking().deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(id).setForce(true).build());
                deleting.add(id);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    created.remove(id);
                } else {
                    failures.put(id, "DeleteInstance " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
                }
            }
        }
        try {
            awaitGone(deleting, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        } catch (RuntimeException e) {
            failures.put("waiting", e.getMessage());
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("instances left behind: " + failures);
        }
    }

    /** Force-deletes every instance the daemon lists, as {@link #deleteAll(Collection, Duration)}: a failed test leaves nothing running. */
    public void deleteAll(Duration within) {
        List<String> ids = new ArrayList<>();
        String token = "";
        do {
            ListInstancesResponse page = blocking().listInstances(ListInstancesRequest.newBuilder()
                    .setPageSize(1000).setPageToken(token).build());
            page.getInstancesList().forEach(instance -> ids.add(instance.getId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        deleteAll(ids, within);
    }

    /** Instances created through this client and not yet seen gone. */
    public List<String> live() {
        return List.copyOf(created);
    }

    private void awaitGone(List<String> ids, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        List<String> left = new ArrayList<>(ids);
        while (true) {
            left.removeIf(this::gone);
            if (left.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(left.size() + " instance(s) not gone within " + within.toMillis() + " ms: " + left);
            }
            sleep();
        }
    }

    private boolean gone(String id) {
        try {
            get(id);
            return false;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                throw e;
            }
            created.remove(id);
            return true;
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
