package dev.hypervisor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.TestDriver;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.Placement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RuntimeRegistryTest {

    /** A second container runtime, under a name of its own, that may be missing from the host. */
    private static final class Sandboxed extends TestDriver {
        private final Optional<String> missing;

        Sandboxed(Optional<String> missing) {
            super(InstanceType.CONTAINER);
            this.missing = missing;
        }

        @Override
        public String name() {
            return "sandboxed";
        }

        @Override
        public Optional<String> unavailable() {
            return missing;
        }

        @Override
        public Duration stopTimeout() {
            return Duration.ofSeconds(3);
        }

        @Override
        public InstanceSpec admit(InstanceSpec spec, Metadata metadata) {
            if (!spec.kernel().isEmpty()) {
                throw DomainException.invalidArgument("spec.kernel", "containers boot no kernel");
            }
            return spec;
        }
    }

    private final TestDriver plain = new TestDriver(InstanceType.CONTAINER);

    private static InstanceSpec spec(String runtimeClass) {
        return new InstanceSpec("busybox", 1, 64L << 20, List.of(), null, "", List.of(), Map.of(), runtimeClass);
    }

    private static Instance instance(InstanceSpec spec) {
        return Instance.newInstance("inst-a", "a", InstanceType.CONTAINER, spec, Metadata.EMPTY, Placement.ANY, "node-1",
                Instant.now());
    }

    @Test
    void aSpecWithoutARuntimeClassGetsTheTypesDefaultRecordedAndAnotherCanBeNamed() {
        Sandboxed sandboxed = new Sandboxed(Optional.empty());
        RuntimeRegistry registry = TestRuntimes.registry("node-1", List.of(plain, sandboxed));
        assertThat(registry.admit(InstanceType.CONTAINER, spec(""), Metadata.EMPTY).runtimeClass())
                .isEqualTo("test-container");
        InstanceSpec chosen = registry.admit(InstanceType.CONTAINER, spec("sandboxed"), Metadata.EMPTY);
        assertThat(chosen.runtimeClass()).isEqualTo("sandboxed");
        assertThat(registry.driverFor(instance(chosen))).containsSame(sandboxed);
        assertThat(registry.stopTimeout(instance(chosen))).isEqualTo(Duration.ofSeconds(3));
        // Records stored before runtime classes existed run on the type's default.
        assertThat(registry.driverFor(instance(spec("")))).containsSame(plain);
    }

    @Test
    void theRuntimesOwnRulesApplyAtAdmission() {
        RuntimeRegistry registry = RuntimeRegistry.open("node-1", List.of(plain, new Sandboxed(Optional.empty())),
                Map.of(InstanceType.CONTAINER, "sandboxed"), TestRuntimes.noServices("node-1"));
        assertThatThrownBy(() -> registry.admit(InstanceType.CONTAINER, spec("").withKernel("/vmlinuz"), Metadata.EMPTY))
                .hasMessage("spec.kernel: containers boot no kernel");
        assertThat(registry.admit(InstanceType.CONTAINER, spec(""), Metadata.EMPTY).runtimeClass()).isEqualTo("sandboxed");
    }

    @Test
    void anUnknownRuntimeClassIsInvalidArgumentAndAMissingRuntimeFailedPreconditionWithItsReason() {
        RuntimeRegistry registry = TestRuntimes.registry("node-1",
                List.of(plain, new Sandboxed(Optional.of("sandbox is not installed (Debian package sandbox)"))));
        assertThatThrownBy(() -> registry.admit(InstanceType.CONTAINER, spec("kata"), Metadata.EMPTY))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessage("spec.runtime_class: node node-1 has no runtime class \"kata\" for INSTANCE_TYPE_CONTAINER"
                        + " (it has test-container, sandboxed)");
        assertThatThrownBy(() -> registry.admit(InstanceType.CONTAINER, spec("sandboxed"), Metadata.EMPTY))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
                .hasMessage("no runtime for INSTANCE_TYPE_CONTAINER on node node-1: sandboxed is unavailable"
                        + " (sandbox is not installed (Debian package sandbox))");
        assertThatThrownBy(() -> registry.admit(InstanceType.VM, spec(""), Metadata.EMPTY))
                .hasMessage("no runtime for INSTANCE_TYPE_VM on node node-1");
        assertThat(registry.driverFor(instance(spec("sandboxed")))).isEmpty();
        assertThat(registry.missing(instance(spec("sandboxed")))).endsWith("sandboxed is unavailable"
                + " (sandbox is not installed (Debian package sandbox))");
    }

    @Test
    void aRuntimeThatFailsToOpenIsUnavailableWithItsWords() {
        TestDriver broken = new TestDriver(InstanceType.VM) {
            @Override
            public Driver open(RuntimeContext context) {
                context.networks(); // this test's context has none
                return this;
            }
        };
        RuntimeRegistry registry = TestRuntimes.registry("node-1", List.of(broken));
        assertThatThrownBy(() -> registry.admit(InstanceType.VM, spec(""), Metadata.EMPTY))
                .hasMessageEndingWith("test-vm is unavailable (no networks in this test)");
        assertThat(registry.drivers()).isEmpty();
    }

    @Test
    void namesAreUniqueAndADefaultMustNameARuntimeOfItsType() {
        assertThatThrownBy(() -> TestRuntimes.registry("node-1", List.of(plain, new TestDriver(InstanceType.CONTAINER))))
                .hasMessage("two runtimes named test-container");
        assertThatThrownBy(() -> RuntimeRegistry.open("node-1", List.of(plain), Map.of(InstanceType.VM, "test-container"),
                TestRuntimes.noServices("node-1")))
                .hasMessageStartingWith("no runtime test-container for INSTANCE_TYPE_VM");
    }
}
