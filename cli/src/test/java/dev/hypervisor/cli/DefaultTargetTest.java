package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefaultTargetTest {

    @TempDir
    Path tmp;

    @Test
    void theLocalSocketWhenPresentElseLoopbackAndAGivenAddressAlways() throws Exception {
        Path socket = tmp.resolve("hypervisord.sock");
        assertThat(Hvctl.defaultTarget("", socket)).isEqualTo("localhost:50051");
        Files.createFile(socket);
        assertThat(Hvctl.defaultTarget("", socket)).isEqualTo("unix://" + socket);
        assertThat(Hvctl.defaultTarget("node1:50051", socket)).isEqualTo("node1:50051");
    }
}
