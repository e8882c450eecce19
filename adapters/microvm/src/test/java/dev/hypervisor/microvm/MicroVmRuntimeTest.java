package dev.hypervisor.microvm;

import dev.hypervisor.qemu.VmOptions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the microVM runtime takes in a spec, and its defaults; no QEMU is started. */
class MicroVmRuntimeTest {

    private static final VmOptions OPTIONS = VmOptions.defaults(Path.of("/tmp/unused-vms"))
            .withKernelDirs(List.of(Path.of("/var/lib/kernels")));

    private static InstanceSpec spec(String kernel, List<String> command, Map<String, String> env) {
        return new InstanceSpec("busybox", 1, 64L << 20, List.of(), null, kernel, command, env);
    }

    private static void refused(Runnable admit, String field) {
        assertThatThrownBy(admit::run).isInstanceOfSatisfying(DomainException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT)).hasMessageStartingWith(field + ":");
    }

    @Test
    void aMicroVmBootsTheNodesDefaultKernelWhenItNamesNoneAndNeedsOneOtherwise() {
        MicroVmRuntime withDefault = new MicroVmRuntime(OPTIONS, "/var/lib/kernels/vmlinuz-micro");
        assertThat(withDefault.admit(spec("", List.of("sh"), Map.of("A", "b")), Metadata.EMPTY).kernel())
                .isEqualTo("/var/lib/kernels/vmlinuz-micro");
        assertThat(withDefault.admit(spec("kernels/linux:6.1", List.of(), Map.of()), Metadata.EMPTY).kernel())
                .as("a kernel image reference is the image store's to resolve").isEqualTo("kernels/linux:6.1");
        refused(() -> withDefault.admit(spec("/boot/vmlinuz", List.of(), Map.of()), Metadata.EMPTY), "spec.kernel");
        MicroVmRuntime none = new MicroVmRuntime(OPTIONS, "");
        assertThatThrownBy(() -> none.admit(spec("", List.of(), Map.of()), Metadata.EMPTY))
                .hasMessage("spec.kernel: required for a microVM: this node has no default kernel configured");
    }
}
