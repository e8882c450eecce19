package dev.hypervisor.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.testkit.guest.GuestKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing KVM or TCG: configured, cached, or probed by booting a real kernel under KVM. */
class KvmProbeTest {

    @TempDir
    Path root;

    @Test
    void aConfiguredAcceleratorIsUsedWithoutProbing() {
        VmOptions options = VmOptions.defaults(root);

        assertThat(KvmProbe.accelerator(options.withAccelerator(VmOptions.Accelerator.TCG))).isEqualTo("tcg");
        assertThat(KvmProbe.accelerator(options.withAccelerator(VmOptions.Accelerator.KVM))).isEqualTo("kvm");
        assertThat(root.resolve(KvmProbe.CACHE_FILE)).doesNotExist();
    }

    @Test
    void theProbeBootsAKernelAndItsVerdictIsCached() throws IOException {
        GuestKernel.requireQemu();
        VmOptions options = VmOptions.defaults(root).withProbeKernel(GuestKernel.get().vmlinuz(), Duration.ofSeconds(4));

        String verdict = KvmProbe.accelerator(options);

        assertThat(verdict).isIn("kvm", "tcg");
        if (!Files.exists(Path.of("/dev/kvm"))) {
            assertThat(verdict).isEqualTo("tcg");
        }
        assertThat(Files.readString(root.resolve(KvmProbe.CACHE_FILE)).strip()).isEqualTo(verdict);
        long started = System.nanoTime();
        assertThat(KvmProbe.accelerator(options)).isEqualTo(verdict);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(500));
    }

    @Test
    void aCachedVerdictIsTrusted() throws IOException {
        Files.writeString(root.resolve(KvmProbe.CACHE_FILE), "kvm\n");

        assertThat(KvmProbe.accelerator(VmOptions.defaults(root))).isEqualTo("kvm");
        VmOptions microVms = VmOptions.defaults(root).withRoot(root.resolve("microvms"));
        assertThat(microVms.verdictFile()).as("microVMs use the node's verdict, not a probe of their own")
                .isEqualTo(VmOptions.defaults(root).verdictFile());
        assertThat(KvmProbe.accelerator(microVms)).isEqualTo("kvm");
    }
}
