package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoFileDescriptorSupplier;
import org.junit.jupiter.api.Test;

/** The hand-made binding of WatchInstance (pre-serialized events) keeps what reflection and clients rely on. */
class WatchBindingTest {

    private final ServerServiceDefinition bound = new ComputeService(null, new StreamRegistry()).bindService();

    @Test
    void watchSendsPreSerializedEventsUnderTheGeneratedName() {
        ServerMethodDefinition<?, ?> watch = bound.getMethod(ComputeServiceGrpc.getWatchInstanceMethod().getFullMethodName());
        assertThat(watch.getMethodDescriptor().getResponseMarshaller()).isSameAs(EncodedEvent.MARSHALLER);
        assertThat(watch.getMethodDescriptor().getType()).isEqualTo(ComputeServiceGrpc.getWatchInstanceMethod().getType());
        assertThat(watch.getMethodDescriptor().getSchemaDescriptor()).isNotNull();
    }

    @Test
    void everyGeneratedMethodIsStillBoundWithTheServiceSchema() {
        assertThat(bound.getMethods()).hasSize(ComputeServiceGrpc.getServiceDescriptor().getMethods().size());
        assertThat(bound.getServiceDescriptor().getSchemaDescriptor()).isInstanceOf(ProtoFileDescriptorSupplier.class);
        var file = ((ProtoFileDescriptorSupplier) bound.getServiceDescriptor().getSchemaDescriptor()).getFileDescriptor();
        assertThat(file.findServiceByName("ComputeService").findMethodByName("WatchInstance")).isNotNull();
    }
}
