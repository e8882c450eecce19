package dev.hypervisor.vm;

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

/** What the VM runtime takes in a spec, and its defaults; no QEMU is started. */
class VmRuntimeTest {

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
    void aVmTakesNoCommandOrEnvironmentAndBootsKernelsOnlyFromTheKernelDirectories() {
        VmRuntime vms = new VmRuntime(OPTIONS);
        assertThat(vms.type()).isEqualTo(InstanceType.VM);
        assertThat(vms.stopTimeout()).isEqualTo(Duration.ofSeconds(60));
        refused(() -> vms.admit(spec("", List.of("sh"), Map.of()), Metadata.EMPTY), "spec.command");
        refused(() -> vms.admit(spec("", List.of(), Map.of("A", "b")), Metadata.EMPTY), "spec.env");
        refused(() -> vms.admit(spec("/etc/shadow", List.of(), Map.of()), Metadata.EMPTY), "spec.kernel");
        refused(() -> vms.admit(spec("kernels/linux:6.1", List.of(), Map.of()), Metadata.EMPTY), "spec.kernel");
        Metadata initrdOutside = new Metadata(Map.of(), Map.of(Q35Machine.INITRD_ANNOTATION, "/etc/shadow"));
        refused(() -> vms.admit(spec("/var/lib/kernels/vmlinuz", List.of(), Map.of()), initrdOutside),
                "metadata.annotations[" + Q35Machine.INITRD_ANNOTATION + "]");
        refused(() -> vms.admit(spec("", List.of(), Map.of()), initrdOutside), "metadata.annotations");
        InstanceSpec direct = spec("/var/lib/kernels/vmlinuz", List.of(), Map.of());
        assertThat(vms.admit(direct, new Metadata(Map.of(), Map.of(Q35Machine.INITRD_ANNOTATION,
                "/var/lib/kernels/initrd.img")))).isEqualTo(direct);
    }
}
