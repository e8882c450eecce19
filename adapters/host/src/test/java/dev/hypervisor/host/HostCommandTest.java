package dev.hypervisor.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostCommandTest {

    @Test
    void returnsWhatTheCommandPrinted() throws IOException {
        assertThat(HostCommand.output(null, List.of("sh", "-c", "echo out; echo err >&2"))).isEqualTo("out\nerr");
    }

    @Test
    void aFailureCarriesTheCommandItsExitCodeAndOutput() {
        assertThatThrownBy(() -> HostCommand.run(null, List.of("sh", "-c", "echo broken; exit 3")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("sh -c echo broken; exit 3 failed (exit 3): broken");
    }

    @Test
    void callReportsTheExitCodeWithoutThrowing() throws IOException {
        assertThat(HostCommand.call(null, List.of("sh", "-c", "echo x; exit 2"))).isEqualTo(new HostCommand.Result(2, "x"));
    }
}
