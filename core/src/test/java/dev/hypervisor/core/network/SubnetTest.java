package dev.hypervisor.core.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import org.junit.jupiter.api.Test;

class SubnetTest {

    @Test
    void theGatewayIsTheFirstHostAndOnlyAddressesBetweenItAndBroadcastAreAssignable() {
        Subnet subnet = Subnet.parse("10.213.0.0/16");

        assertThat(subnet.gateway()).isEqualTo("10.213.0.1");
        assertThat(subnet.isAssignable("10.213.0.2")).isTrue();
        assertThat(subnet.isAssignable("10.213.255.254")).isTrue();
        assertThat(subnet.isAssignable("10.213.0.0")).isFalse();
        assertThat(subnet.isAssignable("10.213.0.1")).isFalse();
        assertThat(subnet.isAssignable("10.213.255.255")).isFalse();
        assertThat(subnet.isAssignable("10.214.0.2")).isFalse();
        assertThat(subnet.isAssignable("not an address")).isFalse();
        assertThat(subnet.assignableCount()).isEqualTo(65533);
        assertThat(subnet.assignable(0)).isEqualTo("10.213.0.2");
        assertThat(subnet.indexOf("10.213.1.0")).isEqualTo(254);
    }

    @Test
    void malformedSubnetsAreInvalidArguments() {
        for (String bad : new String[] {"10.213.0.0", "10.213.0.1/16", "10.213.0.0/31", "10.213.0.0/x", "300.0.0.0/8",
                "10.213.00.0/16", "10.213.0.0/4"}) {
            assertThatThrownBy(() -> Subnet.parse(bad)).as(bad)
                    .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }

    @Test
    void overlapsRouteDestinationsAsIpPrintsThem() {
        Subnet subnet = Subnet.parse("10.214.7.0/24");

        assertThat(subnet.overlaps("10.0.0.0/8")).isTrue();
        assertThat(subnet.overlaps("10.214.7.9")).isTrue();
        assertThat(subnet.overlaps("10.214.8.0/24")).isFalse();
        assertThat(subnet.overlaps("default")).isFalse();
    }
}
