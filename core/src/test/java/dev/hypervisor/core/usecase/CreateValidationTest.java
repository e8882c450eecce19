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
        long mib = 1L << 20;
        rejects(command("w", InstanceType.VM, withDisks(new DiskSpec("a", mib, "", false), new DiskSpec("a", mib, "", false))),
                "spec.disks[1].name");
        rejects(command("w", InstanceType.VM, withDisks(new DiskSpec("a", 0, "", false))), "spec.disks[0].size_bytes");
        rejects(command("w", InstanceType.VM, withDisks(new DiskSpec("a", mib, "", true), new DiskSpec("b", mib, "", true))),
                "spec.disks[1].boot");
        rejects(command("w", InstanceType.VM, withDisks(new DiskSpec("a", mib, "nvme", false))), "spec.disks[0].type");
    }

    @Test
    void envNamesAreShellNamesAndWhatATypeTakesIsItsRuntimesToSay() {
        rejects(command("c", InstanceType.CONTAINER,
                new InstanceSpec("i", 1, 1 << 28, List.of(), null, "", List.of(), Map.of("1A", "b"))), "spec.env");
        rejects(command("m", InstanceType.MICROVM,
                new InstanceSpec("i", 1, 1 << 28, List.of(), null, "/vmlinuz", List.of(), Map.of("1A", "b"))), "spec.env");
        // A command for a VM or a kernel for a container is refused by their runtimes' admit, not here.
        InstanceSpec vm = validation.validate(command("v", InstanceType.VM,
                new InstanceSpec("i", 1, 1 << 28, List.of(), null, "", List.of("sh", "-c", "exit 3"), Map.of("A", "b"))));
        assertThat(vm.command()).containsExactly("sh", "-c", "exit 3");
        assertThat(vm.env()).containsEntry("A", "b");
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

    private static InstanceSpec onNetwork(String ip) {
        return new InstanceSpec("i", 1, 1 << 28, List.of(), new NetworkSpec("default", ip), "", List.of(), Map.of());
    }

    @Test
    void aStaticAddressMustBeAssignableInTheNetworksSubnet() {
        // Limits.defaults(): the default network is 10.213.0.0/16
        assertThat(validation.validate(command("w", InstanceType.CONTAINER, onNetwork("10.213.4.5"))).network().ipAddress())
                .isEqualTo("10.213.4.5");
        rejects(command("w", InstanceType.CONTAINER, onNetwork("192.168.1.9")), "spec.network.ip_address")
                .hasMessageContaining("outside network default's subnet 10.213.0.0/16");
        for (String reserved : List.of("10.213.0.0", "10.213.0.1", "10.213.255.255")) {
            rejects(command("w", InstanceType.CONTAINER, onNetwork(reserved)), "spec.network.ip_address")
                    .hasMessageContaining(reserved + " is reserved");
        }
    }

    @Test
    void aDiskSmallerThanOneMebibyteIsRefused() {
        rejects(command("w", InstanceType.CONTAINER, withDisks(new DiskSpec("data", 1, "ssd", false))),
                "spec.disks[0].size_bytes").hasMessageContaining("at least 1048576");
        assertThat(validation.validate(command("w", InstanceType.CONTAINER,
                withDisks(new DiskSpec("data", 1L << 20, "ssd", false)))).disks()).hasSize(1);
    }

    @Test
    void whatExecCannotPassIsRefused() {
        rejects(command("w", InstanceType.CONTAINER, new InstanceSpec("i", 1, 1 << 28, List.of(), null, "",
                List.of(), Map.of("GREETING", "hello\0world"))), "spec.env").hasMessageContaining("GREETING");
        rejects(command("w", InstanceType.CONTAINER, new InstanceSpec("i", 1, 1 << 28, List.of(), null, "",
                List.of("", "x"), Map.of())), "spec.command[0]");
        rejects(command("w", InstanceType.MICROVM, new InstanceSpec("i", 1, 1 << 28, List.of(), null, "k:1",
                List.of("sh", "-c", "a\0b"), Map.of())), "spec.command[2]");
        // Empty arguments after the program are ordinary (sh -c "").
        assertThat(validation.validate(command("w", InstanceType.CONTAINER, new InstanceSpec("i", 1, 1 << 28,
                List.of(), null, "", List.of("sh", "-c", ""), Map.of()))).command()).hasSize(3);
    }

    @Test
    void imageNamesWithControlCharactersAreRefusedWithoutAnImageStore() {
        rejects(command("w", InstanceType.CONTAINER, new InstanceSpec("busy\0box", 1, 1 << 28, List.of(), null, "",
                List.of(), Map.of())), "spec.image").hasMessageContaining("U+0000");
        rejects(command("w", InstanceType.MICROVM, new InstanceSpec("busybox", 1, 1 << 28, List.of(), null, "kernel\n",
                List.of(), Map.of())), "spec.kernel");
    }

    @Test
    void theImageStoreJudgesImageAndKernelNames() {
        List<String> asked = new java.util.ArrayList<>();
        dev.hypervisor.core.image.ImageStore store = (dev.hypervisor.core.image.ImageStore) java.lang.reflect.Proxy
                .newProxyInstance(getClass().getClassLoader(), new Class<?>[] {dev.hypervisor.core.image.ImageStore.class},
                        (proxy, method, args) -> {
                            if (method.getName().equals("checkName")) {
                                asked.add(args[0] + "=" + args[1]);
                                if (((String) args[1]).startsWith("file:")) {
                                    throw DomainException.invalidArgument((String) args[0], "not pullable");
                                }
                                return null;
                            }
                            throw new UnsupportedOperationException(method.getName());
                        });
        CreateValidation withStore = new CreateValidation(Limits.defaults(), java.util.Optional.of(store));
        assertThatThrownBy(() -> withStore.validate(command("w", InstanceType.CONTAINER, new InstanceSpec(
                "file:///etc/passwd", 1, 1 << 28, List.of(), null, "", List.of(), Map.of()))))
                .hasMessage("spec.image: not pullable");
        withStore.validate(command("w", InstanceType.VM, new InstanceSpec("debian-12", 1, 1 << 28, List.of(), null,
                "kernels/linux:6.1", List.of(), Map.of())));
        withStore.validate(command("v", InstanceType.VM, new InstanceSpec("debian-12", 1, 1 << 28, List.of(), null,
                "/var/lib/hypervisord/kernels/vmlinuz", List.of(), Map.of())));
        // A host path is for the runtime to judge; the image store only sees references.
        assertThat(asked).containsExactly("spec.image=file:///etc/passwd", "spec.image=debian-12",
                "spec.kernel=kernels/linux:6.1", "spec.image=debian-12");
    }
}
