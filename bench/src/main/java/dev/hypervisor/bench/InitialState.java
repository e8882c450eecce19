package dev.hypervisor.bench;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.testkit.DaemonProcess;
import io.grpc.ManagedChannel;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/** Reads a daemon's whole state through one unfiltered WatchInstance with send_initial, as a client that resyncs would. */
final class InitialState {

    private InitialState() {}

    /** Drains the initial events up to the bookmark that ends them; returns how many instances they carried. */
    static long drain(DaemonProcess daemon) {
        ManagedChannel channel = daemon.newChannel();
        try {
            Iterator<InstanceEvent> events = ComputeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300,
                    TimeUnit.SECONDS).watchInstance(WatchInstanceRequest.newBuilder().setSendInitial(true).build());
            long initial = 0;
            while (events.hasNext()) {
                InstanceEvent event = events.next();
                if (event.getType() == InstanceEvent.Type.INITIAL) {
                    initial++;
                } else if (event.getType() == InstanceEvent.Type.BOOKMARK) {
                    return initial;
                }
            }
            throw new IllegalStateException("the watch ended before its initial state did");
        } finally {
            channel.shutdownNow(); // which cancels the watch
        }
    }
}
