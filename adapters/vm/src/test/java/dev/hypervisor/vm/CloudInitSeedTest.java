package dev.hypervisor.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.core.network.NetworkAttachment;
import java.util.List;
import org.junit.jupiter.api.Test;

class CloudInitSeedTest {

    @Test
    void theNetworkConfigGivesTheIpamAddressToTheNicWithTheVmsMac() {
        NetworkAttachment network = new NetworkAttachment("default", "", "10.213.0.7", 24, "10.213.0.1",
                List.of("192.0.2.53"), List.of("example.test"));

        String yaml = CloudInitSeed.networkConfig(network, "52:54:00:aa:bb:cc");

        assertThat(yaml).contains("version: 2", "macaddress: \"52:54:00:aa:bb:cc\"", "addresses: [\"10.213.0.7/24\"]",
                "via: \"10.213.0.1\"", "addresses: [\"192.0.2.53\"]", "search: [\"example.test\"]");
    }
}
