package dev.hypervisor.bench;

import com.google.common.util.concurrent.ListenableFuture;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.ListInstancesRequest;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** Figure 1: GetInstance and an empty ListInstances page against Health/Check on the same daemon. */
record LatencyBench(ControlPlaneOptions options, Rpc ping, Rpc get, Rpc list) {

    private static final int DEADLINE_SECONDS = 10;

    /** One RPC under test: a blocking call and an asynchronous one. */
    private record Rpc(String name, Runnable blocking, IntFunction<ListenableFuture<?>> async,
            Percentiles latencies, long[] throughput) {

        Rpc(String name, Runnable blocking, IntFunction<ListenableFuture<?>> async) {
            this(name, blocking, async, new Percentiles(), new long[2]);
        }

        double perSecond() {
            return throughput[0] / (throughput[1] / 1e9);
        }
    }

    static LatencyBench of(ManagedChannel channel, String instanceId, ControlPlaneOptions options) {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        HealthGrpc.HealthFutureStub healthAsync = HealthGrpc.newFutureStub(channel);
        ComputeServiceGrpc.ComputeServiceBlockingStub compute = ComputeServiceGrpc.newBlockingStub(channel);
        ComputeServiceGrpc.ComputeServiceFutureStub computeAsync = ComputeServiceGrpc.newFutureStub(channel);
        HealthCheckRequest check = HealthCheckRequest.getDefaultInstance();
        GetInstanceRequest getRequest = GetInstanceRequest.newBuilder().setInstanceId(instanceId).build();
        // A filter that matches nothing here: every instance of this benchmark is a container.
        ListInstancesRequest emptyPage = ListInstancesRequest.newBuilder()
                .setType(InstanceType.INSTANCE_TYPE_VM).setPageSize(100).build();
        Rpc ping = new Rpc("Health/Check", () -> health.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).check(check),
                n -> healthAsync.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).check(check));
        Rpc get = new Rpc("GetInstance", () -> {
            if (!compute.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).getInstance(getRequest).getId()
                    .equals(instanceId)) {
                throw new IllegalStateException("GetInstance returned another instance");
            }
        }, n -> computeAsync.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).getInstance(getRequest));
        Rpc list = new Rpc("ListInstances (empty page)", () -> {
            if (compute.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).listInstances(emptyPage)
                    .getInstancesCount() != 0) {
                throw new IllegalStateException("the empty ListInstances page is not empty");
            }
        }, n -> computeAsync.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).listInstances(emptyPage));
        return new LatencyBench(options, ping, get, list);
    }

    /** Runs the warm-up and the rounds; adds the figures to the report; returns the ping's p99 in nanoseconds. */
    long run(Report report) throws InterruptedException {
        List<Rpc> all = List.of(ping, get, list);
        for (Rpc rpc : all) {
            for (int i = 0; i < Math.max(500, options.latencyCalls / 2); i++) {
                rpc.blocking().run();
            }
            ClosedLoop.run(rpc.name(), options.throughputCallers, Math.min(1.0, options.throughputSeconds), rpc.async());
        }
        for (int round = 0; round < options.rounds; round++) {
            List<Rpc> order = new ArrayList<>(all);
            Collections.rotate(order, round);
            interleaved(order, options.latencyCalls);
            for (Rpc rpc : order) {
                ClosedLoop.Result result = ClosedLoop.run(rpc.name(), options.throughputCallers,
                        options.throughputSeconds, rpc.async());
                rpc.throughput()[0] += result.completed();
                rpc.throughput()[1] += (long) (result.seconds() * 1e9);
            }
        }
        for (Rpc rpc : List.of(get, list)) {
            report.latency("1 " + rpc.name() + " p50, sequential", rpc.latencies(), ping.latencies(), 50, 2.0);
            report.latency("1 " + rpc.name() + " p99, sequential", rpc.latencies(), ping.latencies(), 99, 3.0);
            report.rate("1 " + rpc.name() + " throughput, " + options.throughputCallers + " callers",
                    rpc.perSecond(), ping.perSecond(), "calls/s", 0.5);
        }
        return ping.latencies().p99();
    }

    /** One call of each in turn, {@code calls} times, so that noise cannot favour one of them. */
    private static void interleaved(List<Rpc> rpcs, int calls) {
        for (int i = 0; i < calls; i++) {
            for (Rpc rpc : rpcs) {
                long began = System.nanoTime();
                rpc.blocking().run();
                rpc.latencies().add(System.nanoTime() - began);
            }
        }
    }
}
