package dev.hypervisor.core.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceFilter;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Lifecycle;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.Placement;
import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.core.store.Txn;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WatchesTest {

    private final InMemoryStore store = new InMemoryStore();
    private final InstanceRepository repository = new InstanceRepository(store);
    private final Watches watches = new Watches(repository, Clock.systemUTC(), 50);
    private final Instant now = Instant.now();

    @AfterEach
    void close() {
        watches.close();
        store.close();
    }

    private Instance create(String id, InstanceType type) {
        Instance instance = Instance.newInstance(id, id, type,
                new InstanceSpec("img", 1, 1 << 28, List.of(), null, "", List.of(), Map.of()),
                new Metadata(Map.of("tier", "web"), Map.of()), Placement.ANY, "node-1", now);
        Txn txn = Txn.create();
        repository.create(txn, instance);
        return instance.withRevision(store.commitAndWait(txn).revision());
    }

    private Instance move(Instance before, InstanceState state) {
        Instance after = Lifecycle.transition(before, state, "moved to " + state, now);
        Txn txn = Txn.create();
        repository.update(txn, before, after);
        return after.withRevision(store.commitAndWait(txn).revision());
    }

    private void remove(Instance before) {
        Txn txn = Txn.create();
        repository.remove(txn, before);
        store.commitAndWait(txn);
    }

    private static WatchRequest all(long after, boolean initial) {
        return new WatchRequest("", InstanceFilter.ALL, after, initial, Duration.ofSeconds(30));
    }

    private static List<InstanceEvent> drain(InstanceWatch watch, int count) {
        List<InstanceEvent> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            for (InstanceEvent e = watch.poll(); e != null; e = watch.poll()) {
                seen.add(e);
            }
            return seen.size() >= count;
        });
        return seen;
    }

    @Test
    void deliversEveryChangeInRevisionOrderWithPreviousStateAndReason() {
        InstanceWatch watch = watches.open(all(0, false), () -> { });
        Instance a = create("inst-a", InstanceType.CONTAINER);
        Instance starting = move(a, InstanceState.STARTING);
        Instance running = move(starting, InstanceState.RUNNING);
        remove(running);
        List<InstanceEvent> events = drain(watch, 4);
        assertThat(events).extracting(InstanceEvent::type).containsExactly(
                InstanceEvent.Type.CREATED, InstanceEvent.Type.UPDATED, InstanceEvent.Type.UPDATED,
                InstanceEvent.Type.DELETED);
        assertThat(events).extracting(InstanceEvent::revision).isSorted().doesNotHaveDuplicates();
        assertThat(events.get(2).previousState()).isEqualTo(InstanceState.STARTING);
        assertThat(events.get(2).reason()).isEqualTo("moved to RUNNING");
        assertThat(events.get(3).instance().state()).isEqualTo(InstanceState.DELETED);
        assertThat(events.get(3).previousState()).isEqualTo(InstanceState.RUNNING);
    }

    @Test
    void filtersByTypeAndInstanceAndShowsTheChangeThatLeavesAWatchedState() {
        InstanceWatch vms = watches.open(new WatchRequest("",
                new InstanceFilter(InstanceType.VM, null, "", Map.of()), 0, false, Duration.ofSeconds(30)), () -> { });
        InstanceWatch running = watches.open(new WatchRequest("",
                new InstanceFilter(null, InstanceState.RUNNING, "", Map.of()), 0, false, Duration.ofSeconds(30)), () -> { });
        Instance vm = create("inst-vm", InstanceType.VM);
        Instance c = create("inst-c", InstanceType.CONTAINER);
        Instance up = move(move(c, InstanceState.STARTING), InstanceState.RUNNING);
        move(up, InstanceState.STOPPING);
        assertThat(drain(vms, 1)).extracting(e -> e.instance().id()).containsExactly(vm.id());
        List<InstanceEvent> seen = drain(running, 2);
        assertThat(seen).extracting(e -> e.instance().state())
                .containsExactly(InstanceState.RUNNING, InstanceState.STOPPING);
    }

    @Test
    void resumesAfterARevisionWithoutLossOrDuplicates() {
        Instance a = create("inst-a", InstanceType.CONTAINER);
        long resumeAfter = a.revision();
        Instance b = move(a, InstanceState.STARTING);
        move(b, InstanceState.RUNNING);
        InstanceWatch watch = watches.open(all(resumeAfter, false), () -> { });
        List<InstanceEvent> events = drain(watch, 2);
        assertThat(events).extracting(InstanceEvent::revision).containsExactly(resumeAfter + 1, resumeAfter + 2);
    }

    @Test
    void sendsTheInitialStateThenABookmarkThenChanges() {
        create("inst-a", InstanceType.CONTAINER);
        create("inst-b", InstanceType.CONTAINER);
        long start = store.revision();
        InstanceWatch watch = watches.open(all(0, true), () -> { });
        List<InstanceEvent> initial = drain(watch, 3);
        assertThat(initial).extracting(InstanceEvent::type).containsExactly(
                InstanceEvent.Type.INITIAL, InstanceEvent.Type.INITIAL, InstanceEvent.Type.BOOKMARK);
        assertThat(initial.get(2).revision()).isEqualTo(start);
        Instance c = create("inst-c", InstanceType.CONTAINER);
        List<InstanceEvent> changes = drain(watch, 1);
        assertThat(changes).extracting(InstanceEvent::type).containsExactly(InstanceEvent.Type.CREATED);
        assertThat(changes.get(0).instance().id()).isEqualTo(c.id());
    }

    @Test
    void aChangeAlreadyInTheInitialStateIsNotSentTwice() {
        create("inst-a", InstanceType.CONTAINER);
        InstanceWatch watch = watches.open(all(0, true), () -> { });
        create("inst-b", InstanceType.CONTAINER); // lands before the initial state is read
        List<InstanceEvent> events = drain(watch, 3);
        await().pollDelay(Duration.ofMillis(200)).until(() -> true);
        assertThat(watch.poll()).isNull();
        assertThat(events).extracting(InstanceEvent::type).containsExactly(
                InstanceEvent.Type.INITIAL, InstanceEvent.Type.INITIAL, InstanceEvent.Type.BOOKMARK);
    }

    @Test
    void aCompactedRevisionIsOutOfRange() {
        Instance a = create("inst-a", InstanceType.CONTAINER);
        move(a, InstanceState.STARTING);
        store.compact(store.revision());
        assertThatThrownBy(() -> watches.open(all(a.revision(), false), () -> { }))
                .isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.OUT_OF_RANGE));
    }

    @Test
    void aFutureRevisionIsOutOfRange() {
        assertThatThrownBy(() -> watches.open(all(store.revision() + 10, false), () -> { }))
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.OUT_OF_RANGE));
    }

    @Test
    void aConsumerThatFallsBehindIsCutOffWithResourceExhausted() {
        InstanceWatch watch = watches.open(all(0, false), () -> { });
        for (int i = 0; i < 60; i++) {
            create("inst-" + i, InstanceType.CONTAINER);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> watch.failure() != null);
        assertThat(watch.failure().code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(watch.failure()).hasMessageContaining("after_revision=");
        assertThat(watch.poll()).isNull();
    }

    @Test
    void anIdleWatcherGetsBookmarksWithTheRevisionItHasSeen() {
        InstanceWatch watch = watches.open(new WatchRequest("", InstanceFilter.ALL, 0, false, Duration.ofSeconds(1)),
                () -> { });
        Instance a = create("inst-a", InstanceType.CONTAINER);
        List<InstanceEvent> events = drain(watch, 2);
        assertThat(events.get(1).type()).isEqualTo(InstanceEvent.Type.BOOKMARK);
        assertThat(events.get(1).revision()).isEqualTo(a.revision());
    }
}
