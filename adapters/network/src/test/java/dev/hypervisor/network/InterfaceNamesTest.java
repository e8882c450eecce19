package dev.hypervisor.network;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.core.usecase.InstanceIds;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InterfaceNamesTest {

    @Test
    void hostInterfaceNamesFitLinuxLimitAndDifferForIdsMadeInTheSameMillisecond() {
        InstanceIds ids = new InstanceIds(java.time.Clock.fixed(java.time.Instant.parse("2025-01-01T00:00:00Z"),
                java.time.ZoneOffset.UTC));
        Set<String> veths = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            InterfaceNames names = InterfaceNames.of(ids.next());
            assertThat(names.hostVeth()).hasSizeLessThanOrEqualTo(15).startsWith("hv");
            assertThat(names.namespace()).isEqualTo("hv-" + names.hostVeth().substring(2));
            assertThat(names.tap()).hasSizeLessThanOrEqualTo(15).isEqualTo("ht" + names.hostVeth().substring(2));
            veths.add(names.hostVeth());
        }
        assertThat(veths).hasSize(1000);
    }

    @Test
    void idsThatAreNoValidInterfaceNameAreHashed() {
        InterfaceNames names = InterfaceNames.of("Some/Odd id");

        assertThat(names.hostVeth()).matches("hv[0-9a-f]{13}");
        assertThat(names.namespacePath().toString()).isEqualTo("/var/run/netns/" + names.namespace());
    }

    @Test
    void theSameIdAlwaysGivesTheSameNames() {
        assertThat(InterfaceNames.of("inst-0m5x2k9qzab3cd4ef")).isEqualTo(InterfaceNames.of("inst-0m5x2k9qzab3cd4ef"));
        assertThat(InterfaceNames.of("inst-0m5x2k9qzab3cd4ef").hostVeth()).isEqualTo("hv2k9qzab3cd4ef");
    }
}
