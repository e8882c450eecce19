package dev.hypervisor.core.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class KillArbiterTest {

    private final KillArbiter arbiter = new KillArbiter();

    @Test
    void noKillWithoutAStepInFlight() {
        assertThat(arbiter.killFor("a", 5)).isNull();
    }

    @Test
    void oneKillPerForcedRevisionOverAStepOfAnEarlierOne() {
        assertThat(arbiter.begin("a", 3, () -> false)).isTrue();
        CompletableFuture<Void> kill = arbiter.killFor("a", 5);
        assertThat(kill).isNotNull();
        assertThat(arbiter.killFor("a", 5)).isNull();
        assertThat(arbiter.killFor("a", 4)).isNull();
        CompletableFuture<Void> newer = arbiter.killFor("a", 7);
        assertThat(newer).isNotNull();
        CompletableFuture<Void> kills = arbiter.end("a");
        assertThat(kills).isNotDone();
        kill.complete(null);
        assertThat(kills).isNotDone();
        newer.complete(null);
        assertThat(kills).isDone();
    }

    @Test
    void aStepOfTheForcedRevisionKillsItself() {
        arbiter.begin("a", 5, () -> false);
        assertThat(arbiter.killFor("a", 5)).isNull();
        assertThat(arbiter.end("a")).isDone();
    }

    @Test
    void aStepReadBeforeAChangeDoesNotBegin() {
        assertThat(arbiter.begin("a", 3, () -> true)).isFalse();
        assertThat(arbiter.killFor("a", 5)).isNull();
    }

    @Test
    void stepsOfOtherInstancesAreNotKilled() {
        arbiter.begin("a", 3, () -> false);
        assertThat(arbiter.killFor("b", 5)).isNull();
    }
}
