package dev.hypervisor.bench.vm;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.ConsoleOutput;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.StopInstanceRequest;
import dev.hypervisor.bench.TimedInstances;
import dev.hypervisor.testkit.DaemonProcess;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;

/**
 * VMs through the daemon's API: one WatchInstance stream (opened first) stamps each VM's
 * RUNNING event on arrival; on that event the client attaches to the console over gRPC and a
 * {@link ConsoleClock} stamps the guest's first line. A line printed before the attach would
 * only be seen in the replay, later than it was printed: that error counts against ours.
 */
final class ApiVms {

    /** One boot as the client saw it, in nanoTime. */
    record Boot(String id, long sent, long acknowledged, long running, long firstLine, long ready, String line) {}

    private final DaemonProcess daemon;
    private final CreateInstanceRequest template;
    private final String readyMarker;
    private final TimedInstances vms;

    ApiVms(DaemonProcess daemon, CreateInstanceRequest template, String readyMarker) throws InterruptedException {
        this.daemon = daemon;
        this.template = template;
        this.readyMarker = readyMarker;
        this.vms = new TimedInstances(daemon, InstanceType.INSTANCE_TYPE_VM, 1);
    }

    /** Creates a VM, waits for RUNNING, attaches to its console and waits for the first line and the ready marker. */
    Boot createAndBoot(String name, Duration timeout) {
        long sent = System.nanoTime();
        String id = vms.create(template.toBuilder().setName(name).build());
        long acknowledged = System.nanoTime();
        long runningAt = vms.awaitRunning(id, timeout);
        ConsoleClock clock = new ConsoleClock(readyMarker);
        StreamObserver<ConsoleInput> input = ComputeServiceGrpc.newStub(daemon.newChannel()).attachConsole(
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
    void stop(String id) {
        vms.api().blocking().stopInstance(StopInstanceRequest.newBuilder().setInstanceId(id).setForce(true).build());
        vms.api().awaitState(id, InstanceState.INSTANCE_STATE_STOPPED);
    }

    /** Deletes the VMs (force) and waits until each is gone. */
    void deleteAll(List<String> ids, Duration timeout) {
        vms.deleteAll(ids, timeout);
    }

    /** VMs created through this client and not yet seen deleted. */
    List<String> live() {
        return vms.live();
    }
}
