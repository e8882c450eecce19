package dev.hypervisor.network;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostDnsTest {

    @Test
    void loopbackAndIpv6ResolversAreDroppedAndTheLastSearchLineWins() {
        HostDns dns = HostDns.parse(List.of(
                "# generated",
                "nameserver 127.0.0.53",
                "nameserver 192.0.2.53",
                "nameserver fd00::53",
                "nameserver 198.51.100.53",
                "domain old.example",
                "search corp.example lab.example # trailing comment",
                "options edns0"));

        assertThat(dns.nameservers()).containsExactly("192.0.2.53", "198.51.100.53");
        assertThat(dns.searchDomains()).containsExactly("corp.example", "lab.example");
    }

    @Test
    void onlyLoopbackResolversGiveNone() {
        assertThat(HostDns.parse(List.of("nameserver 127.0.0.53")).nameservers()).isEmpty();
    }

    @Test
    void aMissingFileGivesNoResolvers() {
        assertThat(HostDns.read(Path.of("/nonexistent/resolv.conf"))).isEqualTo(new HostDns(List.of(), List.of()));
    }
}
