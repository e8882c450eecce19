package dev.hypervisor.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HaltGuardTest {

    @Test
    void overlappingHaltsHoldTheInstanceUntilTheLastEnds() {
        HaltGuard guard = new HaltGuard();
        HaltGuard.Hold stop = guard.hold("a");
        HaltGuard.Hold kill = guard.hold("a");
        kill.close(); // the kill over the stop finishes first
        assertThat(guard.halting("a")).as("the stop still runs").isTrue();
        kill.close(); // closing twice counts once
        assertThat(guard.halting("a")).isTrue();
        stop.close();
        assertThat(guard.halting("a")).isFalse();
        assertThat(guard.halting("b")).isFalse();
    }

    @Test
    void aStartSeesAKillThatCameWhileItRan() {
        HaltGuard guard = new HaltGuard();
        long before = guard.kills("a");
        guard.killed("a");
        assertThat(guard.kills("a")).isNotEqualTo(before);
        assertThat(guard.kills("b")).isZero();
        guard.forget("a");
        assertThat(guard.kills("a")).isZero();
    }

    @Test
    void aDeadlineEndsAWaitThatNeverHolds() {
        long started = System.nanoTime();
        assertThat(Deadline.after(Duration.ofMillis(200)).await(() -> false, Duration.ofMillis(20))).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(200), Duration.ofSeconds(2));
        assertThat(Deadline.after(Duration.ofSeconds(5)).await(() -> true, Duration.ofMillis(20))).isTrue();
    }
}
