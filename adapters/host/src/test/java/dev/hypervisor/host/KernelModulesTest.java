package dev.hypervisor.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelModulesTest {

    @TempDir
    Path dir;

    @Test
    void dependenciesComeFirstAndATruncatedModuleStillReads() throws IOException {
        Files.createDirectories(dir.resolve("kernel/drivers"));
        Files.write(dir.resolve("kernel/drivers/virtio_mmio.ko"), "\0depends=\0".getBytes(StandardCharsets.ISO_8859_1));
        Files.write(dir.resolve("kernel/drivers/virtio-blk.ko"),
                "ELF\0depends=virtio_mmio".getBytes(StandardCharsets.ISO_8859_1)); // no closing NUL

        assertThat(KernelModules.index(dir).loadOrder(List.of("virtio_blk", "ext4")))
                .as("ext4 is not in the tree: built in").containsExactly("virtio_mmio", "virtio_blk");
    }

    @Test
    void compressedModulesAreRefusedByName() throws IOException {
        Files.createDirectories(dir.resolve("kernel"));
        Files.write(dir.resolve("kernel/virtio_blk.ko.xz"), new byte[] {1});

        assertThatThrownBy(() -> KernelModules.index(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("virtio_blk.ko.xz").hasMessageContaining("compressed");
    }
}
