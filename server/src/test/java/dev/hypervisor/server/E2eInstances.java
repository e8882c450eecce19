package dev.hypervisor.server;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.ListInstancesRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What end-to-end tests do with instances of a real daemon: wait for states, type into and
 * read consoles, delete. Takes the daemon through a supplier, since tests restart it.
 */
final class E2eInstances {

    private final Supplier<DaemonProcess> daemon;
    private final Duration timeout;

    E2eInstances(Supplier<DaemonProcess> daemon, Duration timeout) {
        this.daemon = daemon;
        this.timeout = timeout;
    }

    Instance get(String id) {
        return daemon.get().blocking().getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build());
    }

    Instance awaitState(String id, InstanceState state) {
        await().atMost(timeout).until(() -> get(id).getState() == state);
        return get(id);
    }

    /** An AttachConsole stream to the instance, its output going to {@code viewer}. */
    StreamObserver<ConsoleInput> attach(String id, ConsoleViewer viewer) {
        StreamObserver<ConsoleInput> input = daemon.get().async().attachConsole(viewer);
        input.onNext(ConsoleInput.newBuilder().setInstanceId(id).build());
        return input;
    }

    static void type(StreamObserver<ConsoleInput> input, String line) {
        input.onNext(ConsoleInput.newBuilder().setData(ByteString.copyFromUtf8(line + "\n")).build());
    }

    /** Waits for the text on the console; a timeout shows what the console did show. */
    static void awaitText(ConsoleViewer viewer, String text, Duration within) {
        try {
            await().atMost(within).until(() -> viewer.text().contains(text));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no " + text + " on the console within " + within + " (stream error: "
                    + viewer.error() + "); it showed:\n" + viewer.text(), e);
        }
    }

    static int occurrences(String text, String marker) {
        int count = 0;
        for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
            count++;
        }
        return count;
    }

    /** Deletes the instance (stopping it first) and waits until it is gone. */
    void delete(String id) {
        daemon.get().blocking().deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(id).build());
        awaitGone(id);
    }

    /**
     * Force-deletes every instance: a failed test must leave nothing running on the host. Tries
     * each one even when another fails, then fails naming what it could not remove.
     */
    void removeAll() {
        List<String> failures = new ArrayList<>();
        for (Instance instance : daemon.get().blocking().listInstances(
                ListInstancesRequest.newBuilder().setPageSize(1000).build()).getInstancesList()) {
            try {
                daemon.get().blocking().deleteInstance(DeleteInstanceRequest.newBuilder()
                        .setInstanceId(instance.getId()).setForce(true).build());
                awaitGone(instance.getId());
            } catch (RuntimeException e) {
                failures.add(instance.getId() + ": " + e);
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("instances left behind after the tests: " + failures);
        }
    }

    private void awaitGone(String id) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            try {
                get(id);
                return false;
            } catch (StatusRuntimeException e) {
                return e.getStatus().getCode() == Status.Code.NOT_FOUND;
            }
        });
    }
}
