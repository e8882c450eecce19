package dev.hypervisor.core.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.core.instance.Instance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every driver must do, whatever it runs (as {@code StoreContract} is for stores, and
 * containerd's SnapshotterSuite for snapshotters): prepare and start are idempotent; a
 * graceful stop ends the instance within its timeout and one past it kills; a kill during a
 * stop or a start wins promptly; exits on their own are reported with their code, deliberate
 * ones are not; a driver opened again (a restarted daemon) recovers what runs and controls it;
 * destroy is idempotent and leaves nothing on the host. Each runtime's test extends it with
 * instances of its own that run the {@link Workload}s, the readiness of a workload, and what
 * "nothing left" means for it (processes, mounts, namespaces, taps, cgroups).
 */
public abstract class DriverContract {

    /** What an instance's workload does, in terms every runtime can express. */
    public sealed interface Workload {
        /** Runs until stopped; says it is up, then ends on the graceful stop (SIGTERM, the power button). */
        record RunsUntilStopped() implements Workload {}

        /** Says it is up, then ignores the graceful stop: only the timeout's kill ends it. */
        record IgnoresStop() implements Workload {}

        /** Ends on its own soon after it starts, with {@code code}. */
        record Exits(int code) implements Workload {}

        Workload RUNS_UNTIL_STOPPED = new RunsUntilStopped();
        Workload IGNORES_STOP = new IgnoresStop();

        static Workload exits(int code) {
            return new Exits(code);
        }
    }

    private final Map<String, RuntimeStatus> exits = new ConcurrentHashMap<>();
    private final List<Instance> made = new ArrayList<>();
    private Driver driver;

    /** The driver under test, opened on the test's host state. */
    protected abstract Driver openDriver();

    /** Closes the driver as a stopping daemon does: what runs keeps running. */
    protected abstract void closeDriver(Driver driver);

    /** A new instance of the driver's type that runs {@code workload}; not prepared yet. */
    protected abstract Instance instance(Workload workload);

    /** Returns once the started instance's workload has said it is up (a VM's guest has booted). */
    protected abstract void awaitUp(Driver driver, Instance instance);

    /** What the host still has of the instance (its processes, mounts, namespaces, devices, cgroups); empty when nothing. */
    protected abstract List<String> leftovers(Instance instance);

    /** The exit codes this runtime's instances can end with on their own (a VM's guest only powers off: 0). */
    protected List<Integer> exitCodes() {
        return List.of(0, 3);
    }

    /** How long a start, a boot or a kill may take here (QEMU under TCG needs more than runc). */
    protected Duration patience() {
        return Duration.ofSeconds(30);
    }

    @BeforeEach
    final void openTheDriver() {
        driver = openDriver();
        driver.setExitListener(exits::put);
    }

    @AfterEach
    final void destroyWhatWasMade() {
        for (Instance instance : made) {
            driver.destroy(instance);
        }
        closeDriver(driver);
        for (Instance instance : made) {
            assertThat(leftovers(instance)).as("left on the host by " + instance.id()).isEmpty();
        }
    }

    private Instance make(Workload workload) {
        Instance instance = instance(workload);
        made.add(instance);
        return instance;
    }

    private Instance up(Workload workload) {
        Instance instance = make(workload);
        driver.prepare(instance);
        driver.start(instance);
        awaitUp(driver, instance);
        return instance;
    }

    private void awaitDown(Driver on, Instance instance) {
        await("the instance down").atMost(patience()).pollInterval(Duration.ofMillis(50))
                .until(() -> !on.inspect(instance).running());
    }

    @Test
    void prepareAndStartAreIdempotent() {
        Instance instance = make(Workload.RUNS_UNTIL_STOPPED);
        Provisioned first = driver.prepare(instance);
        assertThat(driver.prepare(instance)).as("prepared again").isEqualTo(first);
        driver.start(instance);
        awaitUp(driver, instance);
        driver.start(instance);
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.RUNNING);
        assertThat(driver.prepare(instance)).as("prepared again while it runs").isEqualTo(first);
        assertThat(driver.inspect(instance)).isEqualTo(RuntimeStatus.RUNNING);
    }

    @Test
    void aGracefulStopEndsTheInstanceWellWithinItsTimeoutAndIsNoNews() {
        Instance instance = up(Workload.RUNS_UNTIL_STOPPED);
        long started = System.nanoTime();
        driver.stop(instance, Duration.ofSeconds(120));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("a graceful stop").isLessThan(patience());
        assertThat(driver.inspect(instance).running()).isFalse();
        assertThat(exits).as("a stop asked for is no news").doesNotContainKey(instance.id());
    }

    @Test
    void aStopPastItsTimeoutKills() {
        Instance instance = up(Workload.IGNORES_STOP);
        long started = System.nanoTime();
        driver.stop(instance, Duration.ofSeconds(2));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(2)).isLessThan(Duration.ofSeconds(2).plus(patience()));
        assertThat(driver.inspect(instance).running()).isFalse();
        assertThat(exits).doesNotContainKey(instance.id());
    }

    @Test
    void aKillDuringAStopWinsPromptly() throws Exception {
        Instance instance = up(Workload.IGNORES_STOP);
        CompletableFuture<Void> stop = CompletableFuture.runAsync(() -> driver.stop(instance, Duration.ofMinutes(10)));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> !stop.isDone());
        long started = System.nanoTime();
        driver.kill(instance);
        stop.get(patience().toMillis(), TimeUnit.MILLISECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("kill and the stop it cut short").isLessThan(patience());
        assertThat(driver.inspect(instance).running()).isFalse();
    }

    @Test
    void aKillDuringAStartWinsPromptly() throws Exception {
        Instance instance = make(Workload.RUNS_UNTIL_STOPPED);
        driver.prepare(instance);
        CompletableFuture<Void> start = CompletableFuture.runAsync(() -> driver.start(instance));
        driver.kill(instance); // before, during or after the start: it must win in every case
        try {
            start.get(patience().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).as("a start cut short fails as a driver failure").isInstanceOf(DriverException.class);
        }
        driver.kill(instance); // the kill that came first has nothing left to do; this one ends a start that won
        awaitDown(driver, instance);
    }

    @Test
    void exitsOnTheirOwnAreReportedWithTheirCode() {
        for (int code : exitCodes()) {
            Instance instance = make(Workload.exits(code));
            driver.prepare(instance);
            driver.start(instance);
            await("the exit of a workload ending with " + code).atMost(patience())
                    .until(() -> exits.containsKey(instance.id()));
            assertThat(exits.get(instance.id()).exitCode()).isEqualTo(code);
            assertThat(driver.inspect(instance)).isEqualTo(exits.get(instance.id()));
        }
    }

    @Test
    void aDriverOpenedAgainRecoversWhatRunsAndControlsIt() {
        Instance instance = up(Workload.RUNS_UNTIL_STOPPED);
        closeDriver(driver);
        assertThat(leftovers(instance)).as("what runs outlives the driver").isNotEmpty();
        driver = openDriver();
        driver.setExitListener(exits::put);
        assertThat(driver.recover(instance)).isEqualTo(RuntimeStatus.RUNNING);
        driver.stop(instance, Duration.ofSeconds(120));
        assertThat(driver.inspect(instance).running()).isFalse();
        assertThat(exits).doesNotContainKey(instance.id());
    }

    @Test
    void destroyIsIdempotentAndLeavesNothingOnTheHost() {
        Instance instance = up(Workload.RUNS_UNTIL_STOPPED);
        driver.kill(instance);
        driver.destroy(instance);
        assertThat(leftovers(instance)).isEmpty();
        driver.destroy(instance);
        Instance never = make(Workload.RUNS_UNTIL_STOPPED);
        driver.destroy(never); // never prepared: nothing to do, and no failure
        assertThat(leftovers(never)).isEmpty();
    }
}
