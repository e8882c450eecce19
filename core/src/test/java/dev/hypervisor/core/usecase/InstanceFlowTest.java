package dev.hypervisor.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.core.driver.ResettableTestDriver;
import dev.hypervisor.core.driver.TestDriver;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceFilter;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.Placement;
import dev.hypervisor.core.reconcile.Reconciler;
import dev.hypervisor.core.reconcile.RetryPolicy;
import dev.hypervisor.core.runtime.RuntimeRegistry;
import dev.hypervisor.core.runtime.TestRuntimes;
import dev.hypervisor.core.store.InMemoryStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The use cases and the reconciler together, on the in-memory store and the test driver. */
class InstanceFlowTest {

    private final InMemoryStore store = new InMemoryStore();
    private final InstanceRepository repository = new InstanceRepository(store);
    private final TestDriver containers = new TestDriver(InstanceType.CONTAINER);
    private final ResettableTestDriver vms = new ResettableTestDriver(InstanceType.VM);
    private final RuntimeRegistry drivers = TestRuntimes.registry("node-1", List.of(containers, vms));
    private final Clock clock = Clock.systemUTC();
    private final RequestLog requests = new RequestLog(store, clock);
    private final CreateInstance create = new CreateInstance(repository, requests,
            new CreateValidation(Limits.defaults()), drivers, new InstanceIds(), clock);
    private final ChangeInstance change = new ChangeInstance(repository, requests, clock);
    private final InstanceQueries queries = new InstanceQueries(repository);
    private Reconciler reconciler;

    @BeforeEach
    void startReconciler() {
        reconciler = new Reconciler(repository, drivers, java.util.Optional.empty(), clock, Duration.ofMillis(200), 4);
        reconciler.start();
    }

    @AfterEach
    void stop() {
        reconciler.close();
        store.close();
    }

    private static CreateCommand container(String name, String requestId) {
        return new CreateCommand(name, InstanceType.CONTAINER,
                new InstanceSpec("busybox", 1, 64L << 20, List.of(), null, "", List.of("sleep", "1d"), Map.of()),
                new Metadata(Map.of("app", name), Map.of()), Placement.ANY, requestId, "fp-" + name);
    }

    private Instance awaitState(String id, InstanceState state) {
        await().atMost(Duration.ofSeconds(10)).until(() -> queries.get(id).state() == state);
        return queries.get(id);
    }

    @Test
    void createReturnsCreatingAndTheReconcilerRunsIt() {
        Instance created = create.execute(container("web", ""));
        assertThat(created.state()).isEqualTo(InstanceState.CREATING);
        assertThat(created.id()).matches("inst-[a-z0-9]{17}");
        assertThat(created.revision()).isPositive();
        Instance running = awaitState(created.id(), InstanceState.RUNNING);
        assertThat(running.ipAddress()).startsWith("10.77.0.");
        assertThat(containers.isRunning(created.id())).isTrue();
    }

    @Test
    void createOfATypeWithoutRuntimeIsFailedPreconditionNamingTypeAndNode() {
        CreateCommand microvm = new CreateCommand("vm", InstanceType.MICROVM,
                new InstanceSpec("busybox", 1, 1L << 30, List.of(), null, "/boot/vmlinuz", List.of(), Map.of()),
                Metadata.EMPTY, Placement.ANY, "", "fp");
        assertThatThrownBy(() -> create.execute(microvm))
                .isInstanceOf(DomainException.class)
                .hasMessage("no runtime for INSTANCE_TYPE_MICROVM on node node-1");
        assertThat(queries.list(InstanceFilter.ALL, 0, "").instances()).isEmpty();
    }

    @Test
    void namesAreUniqueAmongLiveInstances() {
        create.execute(container("web", ""));
        assertThatThrownBy(() -> create.execute(container("web", "")))
                .isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
    }

    @Test
    void aRetriedCreateWithTheSameRequestIdReturnsTheFirstResultOnly() {
        Instance first = create.execute(container("web", "req-1"));
        Instance again = create.execute(container("web", "req-1"));
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(again.revision()).isEqualTo(first.revision());
        assertThat(queries.list(InstanceFilter.ALL, 0, "").instances()).hasSize(1);
    }

    @Test
    void theSameRequestIdWithADifferentRequestIsInvalid() {
        create.execute(container("web", "req-1"));
        assertThatThrownBy(() -> create.execute(container("db", "req-1")))
                .hasMessageStartingWith("request_id:")
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void aPassThatCannotReadTheStoreRunsAgainOnceItCan() {
        store.failGets("/instances/", 1);

        String id = create.execute(container("web", "")).id();

        assertThat(awaitState(id, InstanceState.RUNNING).attempts()).isZero();
        assertThat(containers.calls()).contains("start " + id);
    }

    @Test
    void stopThenStartGoesThroughTheStates() {
        String id = create.execute(container("web", "")).id();
        awaitState(id, InstanceState.RUNNING);
        Instance stopping = change.stop(id, false, 5, "", "s1");
        assertThat(stopping.state()).isEqualTo(InstanceState.STOPPING);
        awaitState(id, InstanceState.STOPPED);
        assertThat(containers.calls()).contains("stop " + id + " 5s");
        assertThat(change.stop(id, false, 0, "", "s2").state()).isEqualTo(InstanceState.STOPPED);
        assertThat(change.start(id, "", "s3").state()).isEqualTo(InstanceState.STARTING);
        awaitState(id, InstanceState.RUNNING);
        assertThat(change.start(id, "", "s4").state()).isEqualTo(InstanceState.RUNNING);
    }

    @Test
    void gracefulStopTimesOutAndForceWinsOverIt() throws Exception {
        String id = create.execute(container("web", "")).id();
        awaitState(id, InstanceState.RUNNING);
        containers.ignoreGracefulStop(true);
        change.stop(id, false, 3600, "", "graceful");
        await().atMost(Duration.ofSeconds(5)).until(() -> containers.calls().contains("stop " + id + " 3600s"));
        long before = System.nanoTime();
        change.stop(id, true, 0, "", "force");
        Instance stopped = awaitState(id, InstanceState.STOPPED);
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(5));
        assertThat(containers.calls()).contains("kill " + id);
        assertThat(stopped.reason()).isEqualTo("killed");
    }

    @Test
    void forceStopWinsOverAStartInFlight() {
        CountDownLatch gate = containers.holdStarts();
        String id = create.execute(container("web", "")).id();
        awaitState(id, InstanceState.STARTING);
        assertThatThrownBy(() -> change.stop(id, false, 0, "", "g")).hasMessageContaining("STARTING");
        change.stop(id, true, 0, "", "f");
        awaitState(id, InstanceState.STOPPED);
        assertThat(containers.isRunning(id)).isFalse();
        gate.countDown();
    }

    @Test
    void aKillSentOverAStepEndsBeforeTheNextStepBegins() throws Exception {
        String id = create.execute(container("web", "")).id();
        awaitState(id, InstanceState.RUNNING);
        CountDownLatch starts = containers.holdStarts();
        change.restart(id, false, 0, "", "r"); // its start hangs until the kill below
        await().atMost(Duration.ofSeconds(5)).until(() -> containers.calls().stream().filter(("start " + id)::equals).count() == 2);
        CountDownLatch kills = containers.holdKills();
        change.stop(id, true, 0, "", "f"); // killed over the restart's step, and the kill is slow to finish
        await().atMost(Duration.ofSeconds(5)).until(() -> containers.calls().contains("kill " + id));
        int atKill = containers.calls().indexOf("kill " + id) + 1;
        // The restart's start gave up; nothing else may touch the instance while its kill still runs.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> containers.calls().size() == atKill);
        kills.countDown();
        awaitState(id, InstanceState.STOPPED);
        List<String> after = containers.calls().subList(atKill, containers.calls().size());
        assertThat(after.get(0)).isEqualTo("killed " + id);
        starts.countDown();
    }

    @Test
    void restartStopsAndStartsAgain() {
        String id = create.execute(container("web", "")).id();
        awaitState(id, InstanceState.RUNNING);
        assertThat(change.restart(id, false, 0, "", "r").state()).isEqualTo(InstanceState.RESTARTING);
        awaitState(id, InstanceState.RUNNING);
        assertThat(containers.calls().stream().filter(c -> c.equals("start " + id))).hasSize(2);
    }

    @Test
    void aForcedRestartResetsWhereTheRuntimeCanAndKillsAndStartsWhereItCannot() {
        String vm = create.execute(new CreateCommand("vm", InstanceType.VM,
                new InstanceSpec("disk", 1, 64L << 20, List.of(), null, "", List.of(), Map.of()),
                new Metadata(Map.of(), Map.of()), Placement.ANY, "", "fp-vm")).id();
        String container = create.execute(container("web", "")).id();
        awaitState(vm, InstanceState.RUNNING);
        awaitState(container, InstanceState.RUNNING);

        change.restart(vm, true, 0, "", "rv");
        change.restart(container, true, 0, "", "rc");

        assertThat(awaitState(vm, InstanceState.RUNNING).reason()).isEqualTo("reset");
        assertThat(vms.calls()).containsSubsequence("start " + vm, "reset " + vm)
                .doesNotContain("kill " + vm).filteredOn(c -> c.equals("start " + vm)).hasSize(1);
        assertThat(awaitState(container, InstanceState.RUNNING).reason()).isEqualTo("restarted");
        assertThat(containers.calls()).containsSubsequence("start " + container, "kill " + container,
                "start " + container);
    }

    @Test
    void aForcedRestartOfAnInstanceThatIsGoneAtTheResetStartsIt() {
        String vm = create.execute(new CreateCommand("vm", InstanceType.VM,
                new InstanceSpec("disk", 1, 64L << 20, List.of(), null, "", List.of(), Map.of()),
                new Metadata(Map.of(), Map.of()), Placement.ANY, "", "fp-vm")).id();
        awaitState(vm, InstanceState.RUNNING);
        vms.vanishAtReset();

        change.restart(vm, true, 0, "", "rv");

        assertThat(awaitState(vm, InstanceState.RUNNING).reason()).isEqualTo("restarted");
        assertThat(vms.calls()).containsSubsequence("reset-not-running " + vm, "start " + vm);
        assertThat(vms.isRunning(vm)).isTrue();
    }

    @Test
    void deleteOfARunningInstanceStopsItFirstThenRemovesEverything() {
        String id = create.execute(container("web", "")).id();
        awaitState(id, InstanceState.RUNNING);
        change.delete(id, false, "", "d");
        await().atMost(Duration.ofSeconds(10)).until(() -> repository.find(id).isEmpty());
        List<String> calls = containers.calls();
        assertThat(calls.indexOf("stop " + id + " 10s")).isLessThan(calls.indexOf("destroy " + id));
        assertThatThrownBy(() -> queries.get(id))
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
        // The name is free again.
        assertThat(create.execute(container("web", "")).id()).isNotEqualTo(id);
    }

    @Test
    void anExitWithCodeZeroStopsAndAnyOtherCodeIsAnError() {
        String a = create.execute(container("a", "")).id();
        String b = create.execute(container("b", "")).id();
        awaitState(a, InstanceState.RUNNING);
        awaitState(b, InstanceState.RUNNING);
        containers.exit(a, 0);
        containers.exit(b, 137);
        assertThat(awaitState(a, InstanceState.STOPPED).reason()).isEqualTo("exited with code 0");
        assertThat(awaitState(b, InstanceState.ERROR).errorMessage()).isEqualTo("exited with code 137");
    }

    @Test
    void theRelistNoticesAProcessThatVanishedSilently() {
        String id = create.execute(container("web", "")).id();
        awaitState(id, InstanceState.RUNNING);
        containers.vanish(id);
        assertThat(awaitState(id, InstanceState.ERROR).errorMessage()).contains("gone");
    }

    @Test
    void aFailedPrepareIsAnErrorThatStartCanRetry() {
        containers.failPrepare("image not found: busybox");
        String id = create.execute(container("web", "")).id();
        assertThat(awaitState(id, InstanceState.ERROR).errorMessage()).isEqualTo("image not found: busybox");
        containers.failPrepare(null);
        change.start(id, "", "retry");
        awaitState(id, InstanceState.RUNNING);
    }

    @Test
    void aRestartedReconcilerAdoptsWhatRunsAndRecordsWhatDied() {
        String alive = create.execute(container("alive", "")).id();
        String dead = create.execute(container("dead", "")).id();
        awaitState(alive, InstanceState.RUNNING);
        awaitState(dead, InstanceState.RUNNING);
        reconciler.close();
        containers.vanish(dead);
        reconciler = new Reconciler(repository, drivers, java.util.Optional.empty(), clock, Duration.ofSeconds(60), 4);
        reconciler.start();
        assertThat(awaitState(dead, InstanceState.ERROR).errorMessage()).contains("while the daemon was down");
        assertThat(queries.get(alive).state()).isEqualTo(InstanceState.RUNNING);
        assertThat(containers.calls()).contains("recover " + alive).doesNotContain("stop " + alive + " 10s");
    }

    @Test
    void listFiltersByStateAndLabelAndPagesWithTokens() {
        for (int i = 0; i < 7; i++) {
            create.execute(container("web-" + i, ""));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> queries.list(
                new InstanceFilter(null, InstanceState.RUNNING, "", Map.of()), 100, "").instances().size() == 7);
        InstanceFilter running = new InstanceFilter(null, InstanceState.RUNNING, "", Map.of());
        InstanceQueries.ListResult first = queries.list(running, 3, "");
        assertThat(first.instances()).hasSize(3);
        InstanceQueries.ListResult second = queries.list(running, 3, first.nextPageToken());
        InstanceQueries.ListResult third = queries.list(running, 3, second.nextPageToken());
        assertThat(third.instances()).hasSize(1);
        assertThat(third.nextPageToken()).isEmpty();
        assertThat(first.instances().get(2).id()).isLessThan(second.instances().get(0).id());
        InstanceFilter byLabel = new InstanceFilter(null, null, "", Map.of("app", "web-3"));
        assertThat(queries.list(byLabel, 0, "").instances()).extracting(Instance::name).containsExactly("web-3");
        assertThatThrownBy(() -> queries.list(running, 3, "garbage!"))
                .hasMessageStartingWith("page_token:");
        assertThatThrownBy(() -> queries.list(InstanceFilter.ALL, 3, first.nextPageToken()))
                .hasMessageStartingWith("page_token:");
    }

    /** The reconciler again, retrying as {@code retries} says. */
    private void reconcileWith(RetryPolicy retries) {
        reconciler.close();
        reconciler = new Reconciler(repository, drivers, java.util.Optional.empty(), clock, Duration.ofMillis(200), 4, retries);
        reconciler.start();
    }

    private long starts(String id) {
        return containers.calls().stream().filter(("start " + id)::equals).count();
    }

    @Test
    void aFailureWorthRetryingIsRetriedWithItsAttemptsOnTheRecordUntilTheStepSucceeds() {
        reconcileWith(new RetryPolicy(5, Duration.ofMillis(300), Duration.ofMillis(300)));
        containers.failStartsPassingly("loop device busy", 2);
        String id = create.execute(container("web", "")).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> queries.get(id).attempts() >= 1);
        Instance retrying = queries.get(id);
        assertThat(retrying.state()).isEqualTo(InstanceState.STARTING);
        assertThat(retrying.lastError()).isEqualTo("loop device busy");
        assertThat(retrying.errorMessage()).isEmpty();
        Instance running = awaitState(id, InstanceState.RUNNING);
        assertThat(running.attempts()).isZero();
        assertThat(running.lastError()).isEmpty();
        assertThat(starts(id)).isEqualTo(3);
    }

    @Test
    void afterTheLastAttemptTheInstanceIsInErrorSayingHowOftenItFailed() {
        reconcileWith(new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(20)));
        containers.failStartsPassingly("loop device busy", 100);
        String id = create.execute(container("web", "")).id();
        Instance failed = awaitState(id, InstanceState.ERROR);
        assertThat(failed.errorMessage()).isEqualTo("loop device busy (failed 3 times)");
        assertThat(failed.attempts()).isZero();
        assertThat(starts(id)).isEqualTo(3);
        containers.failStartsPassingly("", 0);
        change.start(id, "", "again");
        awaitState(id, InstanceState.RUNNING);
    }

    @Test
    void aFailureThatNoRetryMendsIsAnErrorAtOnce() {
        reconcileWith(new RetryPolicy(5, Duration.ofMillis(10), Duration.ofMillis(20)));
        containers.failStart("no such kernel: /boot/missing");
        String id = create.execute(container("web", "")).id();
        assertThat(awaitState(id, InstanceState.ERROR).errorMessage()).isEqualTo("no such kernel: /boot/missing");
        assertThat(starts(id)).isEqualTo(1);
    }

    @Test
    void aNewIntentDuringABackOffIsActedOnAtOnceAndADeletionToo() {
        reconcileWith(new RetryPolicy(5, Duration.ofSeconds(60), Duration.ofSeconds(60)));
        containers.failStartsPassingly("loop device busy", 100);
        String stopped = create.execute(container("stopped", "")).id();
        String deleted = create.execute(container("deleted", "")).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> queries.get(stopped).attempts() == 1
                && queries.get(deleted).attempts() == 1);
        change.stop(stopped, true, 0, "", "stop");
        change.delete(deleted, false, "", "delete");
        Instance after = awaitState(stopped, InstanceState.STOPPED);
        assertThat(after.attempts()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> repository.find(deleted).isEmpty());
        assertThat(starts(stopped)).isEqualTo(1);
    }

    @Test
    void aDriverBugEndsInErrorInsteadOfLeavingTheInstanceStuck() {
        containers.failPrepareWith(new IllegalStateException("driver bug"));
        String id = create.execute(container("web", "")).id();
        assertThat(awaitState(id, InstanceState.ERROR).errorMessage()).contains("internal error").contains("driver bug");
    }
}
