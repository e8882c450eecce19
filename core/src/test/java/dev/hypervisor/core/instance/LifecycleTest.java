package dev.hypervisor.core.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LifecycleTest {

    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

    static Instance in(InstanceState state) {
        Instance created = Instance.newInstance("inst-abc", "web", InstanceType.CONTAINER,
                new InstanceSpec("busybox", 1, 1 << 29, List.of(), null, "", List.of(), Map.of()),
                Metadata.EMPTY, Placement.ANY, "node-1", NOW);
        return created.moveTo(state, "test", "", NOW);
    }

    @Test
    void documentedPathsAreAllowed() {
        assertThat(Lifecycle.allowed(InstanceState.CREATING, InstanceState.STARTING)).isTrue();
        assertThat(Lifecycle.allowed(InstanceState.STARTING, InstanceState.RUNNING)).isTrue();
        assertThat(Lifecycle.allowed(InstanceState.RUNNING, InstanceState.STOPPING)).isTrue();
        assertThat(Lifecycle.allowed(InstanceState.STOPPING, InstanceState.STOPPED)).isTrue();
        assertThat(Lifecycle.allowed(InstanceState.STOPPED, InstanceState.STARTING)).isTrue();
        assertThat(Lifecycle.allowed(InstanceState.RUNNING, InstanceState.RESTARTING)).isTrue();
        assertThat(Lifecycle.allowed(InstanceState.RESTARTING, InstanceState.RUNNING)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = InstanceState.class, names = "DELETED", mode = EnumSource.Mode.EXCLUDE)
    void anyLiveStateCanBeDeleted(InstanceState state) {
        assertThat(Lifecycle.allowed(state, InstanceState.DELETED)).isTrue();
    }

    @Test
    void deletedIsFinal() {
        for (InstanceState next : InstanceState.values()) {
            assertThat(Lifecycle.allowed(InstanceState.DELETED, next)).as("DELETED -> " + next).isFalse();
        }
    }

    @Test
    void illegalObservedTransitionIsAnInternalError() {
        assertThatThrownBy(() -> Lifecycle.transition(in(InstanceState.STOPPED), InstanceState.RUNNING, "x", NOW))
                .isInstanceOf(DomainException.class)
                .extracting(e -> ((DomainException) e).code()).isEqualTo(ErrorCode.INTERNAL);
    }

    @Test
    void startOnRunningReturnsTheSameInstance() {
        Instance running = in(InstanceState.RUNNING);
        assertThat(Lifecycle.start(running, NOW)).isSameAs(running);
    }

    @Test
    void startOnStoppedBeginsStarting() {
        Instance next = Lifecycle.start(in(InstanceState.STOPPED), NOW);
        assertThat(next.state()).isEqualTo(InstanceState.STARTING);
        assertThat(next.previousState()).isEqualTo(InstanceState.STOPPED);
        assertThat(next.desired()).isEqualTo(DesiredState.RUNNING);
    }

    @Test
    void startOnErrorIsAllowed() {
        assertThat(Lifecycle.start(in(InstanceState.ERROR), NOW).state()).isEqualTo(InstanceState.STARTING);
    }

    @Test
    void startWhileStoppingNamesTheState() {
        assertThatThrownBy(() -> Lifecycle.start(in(InstanceState.STOPPING), NOW))
                .isInstanceOf(DomainException.class).hasMessageContaining("STOPPING")
                .extracting(e -> ((DomainException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
    }

    @Test
    void stopOnStoppedReturnsTheSameInstance() {
        Instance stopped = in(InstanceState.STOPPED);
        assertThat(Lifecycle.stop(stopped, false, 0, NOW)).isSameAs(stopped);
    }

    @Test
    void stopOnRunningRecordsTimeoutAndIntent() {
        Instance next = Lifecycle.stop(in(InstanceState.RUNNING), false, 30, NOW);
        assertThat(next.state()).isEqualTo(InstanceState.STOPPING);
        assertThat(next.desired()).isEqualTo(DesiredState.STOPPED);
        assertThat(next.stopTimeoutSeconds()).isEqualTo(30);
        assertThat(next.forceStop()).isFalse();
    }

    @Test
    void gracefulStopWhileStartingIsRefusedButForceWins() {
        assertThatThrownBy(() -> Lifecycle.stop(in(InstanceState.STARTING), false, 0, NOW))
                .hasMessageContaining("STARTING");
        Instance forced = Lifecycle.stop(in(InstanceState.STARTING), true, 0, NOW);
        assertThat(forced.state()).isEqualTo(InstanceState.STOPPING);
        assertThat(forced.forceStop()).isTrue();
    }

    @Test
    void forceUpgradesAGracefulStopInFlight() {
        Instance stopping = Lifecycle.stop(in(InstanceState.RUNNING), false, 60, NOW);
        assertThat(Lifecycle.stop(stopping, false, 0, NOW)).isSameAs(stopping);
        Instance forced = Lifecycle.stop(stopping, true, 0, NOW);
        assertThat(forced.forceStop()).isTrue();
        assertThat(forced.state()).isEqualTo(InstanceState.STOPPING);
        assertThat(forced.previousState()).isEqualTo(InstanceState.STOPPING);
    }

    @Test
    void restartOnlyFromRunning() {
        assertThat(Lifecycle.restart(in(InstanceState.RUNNING), false, 0, NOW).state())
                .isEqualTo(InstanceState.RESTARTING);
        assertThatThrownBy(() -> Lifecycle.restart(in(InstanceState.STOPPED), false, 0, NOW))
                .hasMessageContaining("STOPPED");
    }

    @Test
    void deleteOfRunningStopsFirst() {
        Instance next = Lifecycle.delete(in(InstanceState.RUNNING), false, NOW);
        assertThat(next.state()).isEqualTo(InstanceState.STOPPING);
        assertThat(next.deleting()).isTrue();
    }

    @Test
    void deleteOfStoppedKeepsStateAndRecordsIntent() {
        Instance next = Lifecycle.delete(in(InstanceState.STOPPED), false, NOW);
        assertThat(next.state()).isEqualTo(InstanceState.STOPPED);
        assertThat(next.deleting()).isTrue();
    }

    @Test
    void repeatedDeleteIsANoOpAndStartIsRefused() {
        Instance deleting = Lifecycle.delete(in(InstanceState.RUNNING), false, NOW);
        assertThat(Lifecycle.delete(deleting, false, NOW)).isSameAs(deleting);
        assertThat(Lifecycle.delete(deleting, true, NOW).forceStop()).isTrue();
        assertThatThrownBy(() -> Lifecycle.start(deleting, NOW)).hasMessageContaining("being deleted");
    }

    @Test
    void exitCodeZeroStopsAndOtherCodesAreErrors() {
        Instance clean = Lifecycle.exited(in(InstanceState.RUNNING), 0, "", NOW);
        assertThat(clean.state()).isEqualTo(InstanceState.STOPPED);
        assertThat(clean.desired()).isEqualTo(DesiredState.STOPPED);
        Instance failed = Lifecycle.exited(in(InstanceState.RUNNING), 3, "", NOW);
        assertThat(failed.state()).isEqualTo(InstanceState.ERROR);
        assertThat(failed.errorMessage()).isEqualTo("exited with code 3");
    }
}
