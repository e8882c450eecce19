package dev.hypervisor.bench.vm;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.ConsoleOutput;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.StopInstanceRequest;
import dev.hypervisor.bench.DaemonUnderTest;
import dev.hypervisor.bench.InstanceEvents;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * VMs through the daemon's API: one WatchInstance stream (opened first) stamps each VM's
 * RUNNING event on arrival; on that event the client attaches to the console over gRPC and a
 * {@link ConsoleClock} stamps the guest's first line. A line printed before the attach would
 * only be seen in the replay, later than it was printed: that error counts against ours.
 */
final class ApiVms {

    /** One boot as the client saw it, in nanoTime. */
    record Boot(String id, long sent, long acknowledged, long running, long firstLine, long ready, String line) {}

    private static final Duration CALL_DEADLINE = Duration.ofSeconds(30);

    private final DaemonUnderTest daemon;
    private final ComputeServiceGrpc.ComputeServiceBlockingStub stub;
    private final CreateInstanceRequest template;
    private final String readyMarker;
    private final InstanceEvents events;
    private final Set<String> live = ConcurrentHashMap.newKeySet();

    ApiVms(DaemonUnderTest daemon, CreateInstanceRequest template, String readyMarker) throws InterruptedException {
        this.daemon = daemon;
        this.stub = ComputeServiceGrpc.newBlockingStub(daemon.channel());
        this.template = template;
        this.readyMarker = readyMarker;
        this.events = new InstanceEvents(daemon, InstanceType.INSTANCE_TYPE_VM);
    }

    /** Creates a VM, waits for RUNNING, attaches to its console and waits for the first line and the ready marker. */
    Boot createAndBoot(String name, Duration timeout) {
        long sent = System.nanoTime();
        String id = blocking().createInstance(template.toBuilder().setName(name).build()).getId();
        long acknowledged = System.nanoTime();
        live.add(id);
        long runningAt = events.awaitRunning(id, timeout);
        ConsoleClock clock = new ConsoleClock(readyMarker);
        StreamObserver<ConsoleInput> input = ComputeServiceGrpc.newStub(daemon.channel()).attachConsole(
                new StreamObserver<ConsoleOutput>() {
                    @Override
                    public void onNext(ConsoleOutput value) {
                        clock.onData(value.getData().toByteArray());
                    }

                    @Override
                    public void onError(Throwable t) {
                        clock.fail("AttachConsole failed: " + Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        clock.fail("AttachConsole ended");
                    }
                });
        input.onNext(ConsoleInput.newBuilder().setInstanceId(id).build());
        try {
            long firstLine = clock.awaitFirstLine(timeout);
            long ready = clock.awaitMarker(timeout);
            return new Boot(id, sent, acknowledged, runningAt, firstLine, ready, clock.firstLineText());
        } finally {
            input.onCompleted();
        }
    }

    /** Force-stops a VM and waits until it is STOPPED (untimed). */
    void stop(String id, Duration timeout) throws InterruptedException {
        blocking().stopInstance(StopInstanceRequest.newBuilder().setInstanceId(id).setForce(true).build());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (blocking().getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build()).getState()
                != InstanceState.INSTANCE_STATE_STOPPED) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(id + " did not stop within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }

    /** Deletes the VMs (force) and waits for each DELETED event. */
    void deleteAll(List<String> ids, Duration timeout) {
        for (String id : ids) {
            try {
                blocking().deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(id).setForce(true).build());
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                    throw e;
                }
                events.deletedAlready(id);
            }
        }
        events.awaitAllDeleted(ids, timeout);
        live.removeAll(ids);
    }

    /** VMs created through this client and not yet seen deleted. */
    List<String> live() {
        return List.copyOf(live);
    }

    private ComputeServiceGrpc.ComputeServiceBlockingStub blocking() {
        return stub.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

}
