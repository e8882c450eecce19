package dev.hypervisor.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {

    @TempDir
    Path tmp;

    @Test
    void deletesATreeAndCountsEachFileOnce() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root/a/b"));
        Files.write(root.resolve("file"), new byte[1000]);
        Files.createLink(root.resolve("hardlink"), root.resolve("file"));
        Files.createSymbolicLink(tmp.resolve("root/link-out"), tmp);

        assertThat(FileTrees.delete(tmp.resolve("root"))).isEqualTo(1000);
        assertThat(tmp.resolve("root")).doesNotExist();
        assertThat(tmp).exists(); // the symlink was removed, not followed
        assertThat(FileTrees.delete(tmp.resolve("root"))).isZero();
    }

    @Test
    void refusesToEmptyAFilesystemMountedInside() throws IOException {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("this test mounts a tmpfs and needs root (CI runs as root)");
        }
        Path mount = Files.createDirectories(tmp.resolve("root/volume"));
        HostCommand.run(null, List.of("mount", "-t", "tmpfs", "tmpfs", mount.toString()));
        try {
            Files.writeString(mount.resolve("precious"), "data");
            assertThatThrownBy(() -> FileTrees.delete(tmp.resolve("root")))
                    .hasMessageContaining("another filesystem is mounted there");
            assertThat(mount.resolve("precious")).hasContent("data");
        } finally {
            HostCommand.run(null, List.of("umount", mount.toString()));
        }
    }
}
