package dev.hypervisor.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ExecutablesTest {

    @Test
    void findsAToolOnThePathAndNothingForAMissingOne() {
        assertThat(Executables.find("sh")).hasValueSatisfying(p -> assertThat(p.getFileName()).hasToString("sh"));
        assertThat(Executables.find("no-such-tool-anywhere")).isEmpty();
        assertThat(Executables.findOr("no-such-tool-anywhere", Path.of("/usr/bin/x"))).isEqualTo(Path.of("/usr/bin/x"));
    }

    @Test
    void requireNamesTheMissingBinaryAndItsPackages() {
        Executables.require("dash", Executables.find("sh").orElseThrow());
        assertThatThrownBy(() -> Executables.require("runc conmon", Path.of("/nonexistent/runc")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("/nonexistent/runc is not installed (apt-get install runc conmon)");
    }
}
