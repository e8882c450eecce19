package dev.hypervisor.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelPathsTest {

    @TempDir
    Path tmp;

    @Test
    void aFileInAKernelDirectoryIsTakenAndResolved() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("kernels"));
        Path kernel = Files.writeString(dir.resolve("vmlinuz"), "not really");
        KernelPaths paths = new KernelPaths(List.of(dir));
        paths.check("spec.kernel", kernel.toString());
        assertThat(paths.resolve("spec.kernel", kernel.toString())).isEqualTo(kernel.toRealPath());
    }

    @Test
    void pathsOutsideOrWithDotsAreInvalidArgumentWithTheSameWordsWhetherTheFileExistsOrNot() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("kernels"));
        KernelPaths paths = new KernelPaths(List.of(dir));
        String exists = messageOf(paths, "/etc/passwd");
        assertThat(messageOf(paths, "/etc/no-such-file")).isEqualTo(exists);
        assertThat(exists).doesNotContain("passwd").contains(dir.toString());
        for (String sneaky : List.of(dir + "/../../etc/passwd", dir + "/./vmlinuz", "vmlinuz", dir.toString(), "")) {
            assertThatThrownBy(() -> paths.check("spec.kernel", sneaky)).as(sneaky)
                    .isInstanceOf(DomainException.class)
                    .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageStartingWith("spec.kernel: ");
        }
    }

    @Test
    void aLinkInAKernelDirectoryThatLeadsOutIsRefusedWhenResolved() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("kernels"));
        Path secret = Files.writeString(tmp.resolve("secret"), "root only");
        Path link = Files.createSymbolicLink(dir.resolve("vmlinuz"), secret);
        KernelPaths paths = new KernelPaths(List.of(dir));
        paths.check("spec.kernel", link.toString()); // by its text it is inside
        assertThatThrownBy(() -> paths.resolve("spec.kernel", link.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spec.kernel " + link + " leads out of the kernel directories");
        assertThatThrownBy(() -> paths.resolve("spec.kernel", dir.resolve("missing").toString()))
                .hasMessageEndingWith(": no such file in the kernel directories");
    }

    @Test
    void withoutKernelDirectoriesNoPathIsTaken() {
        assertThatThrownBy(() -> new KernelPaths(List.of()).check("spec.kernel", "/boot/vmlinuz"))
                .hasMessageContaining("none is configured with --kernel-dir");
    }

    private static String messageOf(KernelPaths paths, String path) {
        try {
            paths.check("spec.kernel", path);
        } catch (DomainException e) {
            return e.getMessage();
        }
        throw new AssertionError(path + " was taken");
    }
}
