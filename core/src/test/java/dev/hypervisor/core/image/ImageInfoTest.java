package dev.hypervisor.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.driver.DriverException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageInfoTest {

    private static ImageInfo of(ImageInfo.Kind kind) {
        return new ImageInfo("sha256:ab", List.of("debian-12"), kind, 1, Instant.EPOCH, Instant.EPOCH, List.of(), "n1");
    }

    @Test
    void anImageOfTheWantedKindPassesThrough() {
        ImageInfo disk = of(ImageInfo.Kind.DISK);

        assertThat(disk.require(ImageInfo.Kind.DISK, "debian-12", "a VM needs a disk image")).isSameAs(disk);
    }

    @Test
    void anImageOfAnotherKindIsTheInstancesErrorNamingBoth() {
        assertThatThrownBy(() -> of(ImageInfo.Kind.DISK).require(ImageInfo.Kind.CONTAINER, "debian-12",
                "a container needs a container image"))
                .isInstanceOf(DriverException.class)
                .hasMessage("image debian-12 is a disk image; a container needs a container image");
    }
}
