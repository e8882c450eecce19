package dev.hypervisor.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.DiskSpec;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.instance.Placement;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class CreateValidationTest {

    private final CreateValidation validation = new CreateValidation(Limits.defaults());

    static InstanceSpec spec() {
        return new InstanceSpec("busybox:latest", 1, 256L << 20, List.of(), null, "", List.of(), Map.of());
    }

    static CreateCommand command(String name, InstanceType type, InstanceSpec spec) {
        return new CreateCommand(name, type, spec, Metadata.EMPTY, Placement.ANY, "", "fp");
    }

    private AbstractThrowableAssert<?, ? extends Throwable> rejects(CreateCommand command, String field) {
        return assertThatThrownBy(() -> validation.validate(command))
                .isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageStartingWith(field + ":");
    }

    private static InstanceSpec withDisks(DiskSpec... disks) {
        return new InstanceSpec("img", 1, 256L << 20, List.of(disks), null, "", List.of(), Map.of());
    }

    @Test
    void specExampleVmIsAcceptedWithDefaultsFilledIn() {
        InstanceSpec vm = new InstanceSpec("ubuntu-22.04", 4, 8589934592L,
                List.of(new DiskSpec("root", 53687091200L, "ssd", true)), new NetworkSpec("default", ""), "",
                List.of(), Map.of());
        InstanceSpec result = validation.validate(command("my-ubuntu-vm", InstanceType.VM, vm));
        assertThat(result.network().networkId()).isEqualTo("default");
        assertThat(result.cpuCores()).isEqualTo(4);
    }

    @Test
    void zeroCpuAndMemoryMeanDefaults() {
        InstanceSpec result = validation.validate(command("a", InstanceType.CONTAINER,
                new InstanceSpec("img", 0, 0, List.of(), null, "", List.of(), Map.of())));
        assertThat(result.cpuCores()).isEqualTo(1);
        assertThat(result.memoryBytes()).isEqualTo(512L << 20);
    }

    @Test
    void namesMustBeDnsLabels() {
        rejects(command("", InstanceType.CONTAINER, spec()), "name");
        rejects(command("Web", InstanceType.CONTAINER, spec()), "name");
        rejects(command("-web", InstanceType.CONTAINER, spec()), "name");
        rejects(command("a".repeat(64), InstanceType.CONTAINER, spec()), "name");
        assertThat(validation.validate(command("a".repeat(63), InstanceType.CONTAINER, spec()))).isNotNull();
    }

    @Test
    void typeIsRequired() {
        rejects(command("web", null, spec()), "type");
    }

    @Test
    void imageIsRequired() {
        rejects(command("web", InstanceType.CONTAINER,
                new InstanceSpec("", 1, 1 << 28, List.of(), null, "", List.of(), Map.of())), "spec.image");
    }

    @Test
    void cpuAndMemoryMustBeInRange() {
        rejects(command("web", InstanceType.VM, new InstanceSpec("i", -1, 1 << 28, List.of(), null, "", List.of(), Map.of())),
                "spec.cpu_cores");
        rejects(command("web", InstanceType.VM, new InstanceSpec("i", 65, 1 << 28, List.of(), null, "", List.of(), Map.of())),
                "spec.cpu_cores");
        rejects(command("web", InstanceType.VM, new InstanceSpec("i", 1, 1024, List.of(), null, "", List.of(), Map.of())),
                "spec.memory_bytes");
        rejects(command("web", InstanceType.VM, new InstanceSpec("i", 1, 1L << 40, List.of(), null, "", List.of(), Map.of())),
                "spec.memory_bytes");
    }

    @Test
    void capsAreConfigurable() {
        CreateValidation small = new CreateValidation(Limits.defaults().withMaxCpuCores(2));
        assertThatThrownBy(() -> small.validate(command("web", InstanceType.VM,
                new InstanceSpec("i", 3, 1 << 28, List.of(), null, "", List.of(), Map.of()))))
                .hasMessageStartingWith("spec.cpu_cores:").hasMessageContaining("between 1 and 2");
    }

    @Test
    void diskNamesAreUniqueSizesPositiveAndOneBootDisk() {
        rejects(command("w", InstanceType.VM, withDisks(new DiskSpec("a", 1, "", false), new DiskSpec("a", 1, "", false))),
                "spec.disks[1].name");
        rejects(command("w", InstanceType.VM, withDisks(new DiskSpec("a", 0, "", false))), "spec.disks[0].size_bytes");
        rejects(command("w", InstanceType.VM, withDisks(new DiskSpec("a", 1, "", true), new DiskSpec("b", 1, "", true))),
                "spec.disks[1].boot");
        rejects(command("w", InstanceType.VM, withDisks(new DiskSpec("a", 1, "nvme", false))), "spec.disks[0].type");
    }

    @Test
    void microvmNeedsAKernelOrAConfiguredDefault() {
        rejects(command("m", InstanceType.MICROVM, spec()), "spec.kernel");
        CreateValidation withDefault = new CreateValidation(Limits.defaults().withDefaultMicrovmKernel("/boot/vmlinuz"));
        assertThat(withDefault.validate(command("m", InstanceType.MICROVM, spec())).kernel()).isEqualTo("/boot/vmlinuz");
    }

    @Test
    void commandAndEnvOnlyForContainersAndMicroVms() {
        rejects(command("v", InstanceType.VM,
                new InstanceSpec("i", 1, 1 << 28, List.of(), null, "", List.of("sh"), Map.of())), "spec.command");
        rejects(command("v", InstanceType.VM,
                new InstanceSpec("i", 1, 1 << 28, List.of(), null, "", List.of(), Map.of("A", "b"))), "spec.env");
        rejects(command("c", InstanceType.CONTAINER,
                new InstanceSpec("i", 1, 1 << 28, List.of(), null, "", List.of(), Map.of("1A", "b"))), "spec.env");
        rejects(command("c", InstanceType.CONTAINER,
                new InstanceSpec("i", 1, 1 << 28, List.of(), null, "/vmlinuz", List.of(), Map.of())), "spec.kernel");
        rejects(command("m", InstanceType.MICROVM,
                new InstanceSpec("i", 1, 1 << 28, List.of(), null, "/vmlinuz", List.of(), Map.of("1A", "b"))), "spec.env");
        InstanceSpec microVm = validation.validate(command("m", InstanceType.MICROVM,
                new InstanceSpec("i", 1, 1 << 28, List.of(), null, "/vmlinuz", List.of("sh", "-c", "exit 3"),
                        Map.of("A", "b"))));
        assertThat(microVm.command()).containsExactly("sh", "-c", "exit 3");
        assertThat(microVm.env()).containsEntry("A", "b");
    }

    @Test
    void metadataLimits() {
        CreateCommand badLabel = new CreateCommand("w", InstanceType.CONTAINER, spec(),
                new Metadata(Map.of("bad key", "v"), Map.of()), Placement.ANY, "", "fp");
        rejects(badLabel, "metadata.labels");
        CreateCommand hugeNotes = new CreateCommand("w", InstanceType.CONTAINER, spec(),
                new Metadata(Map.of(), Map.of("k", "x".repeat(300 * 1024))), Placement.ANY, "", "fp");
        rejects(hugeNotes, "metadata.annotations");
    }

    @Test
    void unknownNetworkIsNotFoundAndStaticAddressMustBeIpv4() {
        assertThatThrownBy(() -> validation.validate(command("w", InstanceType.CONTAINER,
                new InstanceSpec("i", 1, 1 << 28, List.of(), new NetworkSpec("nope", ""), "", List.of(), Map.of()))))
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
        rejects(command("w", InstanceType.CONTAINER,
                new InstanceSpec("i", 1, 1 << 28, List.of(), new NetworkSpec("default", "10.1.2.300"), "", List.of(), Map.of())),
                "spec.network.ip_address");
    }
}
