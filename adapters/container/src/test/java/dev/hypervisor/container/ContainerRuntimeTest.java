package dev.hypervisor.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerRuntimeTest {

    private final ContainerOptions options = ContainerOptions.defaults(Path.of("/tmp/unused-containers"));

    @Test
    void aContainerTakesACommandAndNoKernelAndStopsWithinTenSeconds() {
        ContainerRuntime runc = new ContainerRuntime("runc", options);
        assertThat(runc.type()).isEqualTo(InstanceType.CONTAINER);
        assertThat(runc.stopTimeout()).isEqualTo(Duration.ofSeconds(10));
        InstanceSpec shell = new InstanceSpec("busybox", 1, 64L << 20, List.of(), null, "", List.of("sh"), Map.of("A", "b"));
        assertThat(runc.admit(shell, Metadata.EMPTY)).isEqualTo(shell);
        assertThatThrownBy(() -> runc.admit(shell.withKernel("/vmlinuz"), Metadata.EMPTY))
                .hasMessage("spec.kernel: a container boots no kernel (VMs and microVMs do)");
    }

    @Test
    void aMissingRuntimeOrConmonIsNamedWithItsPackage() {
        ContainerRuntime missing = new ContainerRuntime("runc", options.withRuntime(Path.of("/nonexistent/runc")));
        assertThat(missing.unavailable()).contains("/nonexistent/runc is not installed (apt-get install runc conmon)");
    }
}
