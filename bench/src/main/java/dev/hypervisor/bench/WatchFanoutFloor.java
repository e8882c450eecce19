package dev.hypervisor.bench;

import com.google.protobuf.Timestamp;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.host.Deadline;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * The floor under figure 4: a bare grpc-java server in this JVM whose WatchInstance only keeps
 * the stream, one thread pushing each event, encoded once, to every stream. Its p99 is the least
 * any daemon built on grpc-java could show for figure 4 on this machine.
 */
final class WatchFanoutFloor {

    private static final MethodDescriptor.Marshaller<byte[]> ENCODED = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new Known(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            throw new UnsupportedOperationException("the floor server only sends");
        }
    };

    private static final class Known extends ByteArrayInputStream implements KnownLength {
        Known(byte[] bytes) {
            super(bytes);
        }
    }

    private WatchFanoutFloor() {}

    /** Send-to-delivery latencies of {@code events} events pushed at {@code perSecond} to {@code watchers} streams. */
    static Percentiles measure(int watchers, int channels, int events, double perSecond) throws Exception {
        List<ServerCallStreamObserver<byte[]>> streams = new CopyOnWriteArrayList<>();
        CountDownLatch open = new CountDownLatch(watchers);
        MethodDescriptor<WatchInstanceRequest, byte[]> method = ComputeServiceGrpc.getWatchInstanceMethod()
                .toBuilder(ProtoUtils.marshaller(WatchInstanceRequest.getDefaultInstance()), ENCODED).build();
        ServerServiceDefinition service = ServerServiceDefinition.builder(ComputeServiceGrpc.SERVICE_NAME)
                .addMethod(method, ServerCalls.asyncServerStreamingCall((request, observer) -> {
                    streams.add((ServerCallStreamObserver<byte[]>) observer);
                    open.countDown();
                }))
                .build();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).directExecutor()
                .addService(service).build().start();
        List<ManagedChannel> clients = new ArrayList<>();
        List<Percentiles> latencies = new ArrayList<>();
        AtomicLong delivered = new AtomicLong();
        try {
            for (int i = 0; i < channels; i++) {
                clients.add(NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
                        .directExecutor().build());
            }
            for (int i = 0; i < watchers; i++) {
                Percentiles mine = new Percentiles(events);
                latencies.add(mine);
                ComputeServiceGrpc.newStub(clients.get(i % channels)).watchInstance(
                        WatchInstanceRequest.getDefaultInstance(), Async.observer(event -> {
                            long nanos = Watcher.nanosSince(event.getEventTime(), Instant.now());
                            synchronized (mine) {
                                mine.add(nanos);
                            }
                            delivered.incrementAndGet();
                        }, t -> { })); // cancelled at the end
            }
            if (!open.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(open.getCount() + " floor streams did not open in 60 s");
            }
            paced(events, perSecond, i -> {
                byte[] encoded = event(i).toByteArray();
                for (ServerCallStreamObserver<byte[]> stream : streams) {
                    stream.onNext(encoded);
                }
            });
            long expected = (long) events * watchers;
            if (!Deadline.after(Duration.ofSeconds(60)).await(() -> delivered.get() >= expected, Duration.ofMillis(10))) {
                throw new IllegalStateException("the floor delivered " + delivered.get() + " of " + expected + " events");
            }
        } finally {
            clients.forEach(ManagedChannel::shutdownNow);
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        Percentiles all = new Percentiles(events * watchers);
        latencies.forEach(all::addAll);
        return all;
    }

    /** Runs {@code each} for 0 to {@code count - 1}, the i-th at {@code i / perSecond} seconds from now. */
    static void paced(int count, double perSecond, IntConsumer each) throws InterruptedException {
        long interval = (long) (1e9 / perSecond);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long wait = start + i * interval - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            each.accept(i);
        }
    }

    /** An event the size of the daemon's: a container instance going RUNNING, stamped with the send time. */
    private static InstanceEvent event(int i) {
        Instant now = Instant.now();
        Timestamp sent = Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
        var request = CreateThroughputBench.request("floor-" + i);
        Instance instance = Instance.newBuilder().setId("inst-0floor" + i).setName(request.getName())
                .setType(InstanceType.INSTANCE_TYPE_CONTAINER).setState(InstanceState.INSTANCE_STATE_RUNNING)
                .setSpec(request.getSpec()).setMetadata(request.getMetadata()).setNodeId("bench-node")
                .setIpAddress("10.88.0.7").setCreatedAt(sent).setUpdatedAt(sent).setRevision(i + 1).build();
        return InstanceEvent.newBuilder().setType(InstanceEvent.Type.UPDATED).setInstance(instance)
                .setPreviousState(InstanceState.INSTANCE_STATE_STARTING).setRevision(i + 1).setEventTime(sent).build();
    }
}
