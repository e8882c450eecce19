package dev.hypervisor.core.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void delaysDoubleFromTheFirstUpToTheMaximum() {
        RetryPolicy policy = RetryPolicy.defaults();
        assertThat(policy.attempts()).isEqualTo(5);
        assertThat(policy.delay(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.delay(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.delay(4)).isEqualTo(Duration.ofSeconds(8));
        assertThat(policy.delay(6)).isEqualTo(Duration.ofSeconds(30));
        assertThat(policy.delay(1000)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aMaximumBelowTheFirstDelayCapsIt() {
        assertThat(new RetryPolicy(3, Duration.ofSeconds(5), Duration.ofSeconds(2)).delay(1)).isEqualTo(Duration.ofSeconds(2));
    }
}
