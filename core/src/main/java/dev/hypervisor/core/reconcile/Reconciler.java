package dev.hypervisor.core.reconcile;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceFilter;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.instance.Lifecycle;
import dev.hypervisor.core.runtime.RuntimeRegistry;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives this node's instances toward their recorded intent, one idempotent step at a time.
 *
 * <p>Every change to an instance record (seen on the store's watch), every exit a driver
 * reports and every relist queues the instance on a {@link WorkQueue}; a pass then reads the
 * record, plans and takes the one step its state calls for ({@link Step}), and saves the
 * outcome with a compare-and-swap. A lost swap means the intent changed meanwhile: the
 * instance is simply planned again. Passes over one instance never overlap, except a kill:
 * a forced stop kills at once over the step in flight, and the next step waits for that kill
 * ({@link KillArbiter}). A step that fails in a way worth retrying is tried again with
 * back-off ({@link RetryPolicy}), its attempts and last error on the record; ERROR comes only
 * after the last attempt, or at once for a failure that no retry mends.
 */
public final class Reconciler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    /** How soon a pass that found the store unavailable runs again. */
    private static final Duration STORE_RETRY = Duration.ofSeconds(1);

    private static final Set<InstanceState> TRANSIENT = EnumSet.of(InstanceState.CREATING, InstanceState.STARTING,
            InstanceState.STOPPING, InstanceState.RESTARTING);

    /** A failed attempt saved at {@code revision}: its retry is due at {@code due}, unless the record changes first. */
    private record Backoff(long revision, Instant due) {}

    private final InstanceRepository repository;
    private final RuntimeRegistry runtimes;
    private final Clock clock;
    private final Duration relistInterval;
    private final RetryPolicy retries;
    private final ExecutorService workers;
    private final ExecutorService killers = Executors.newCachedThreadPool(named("reconcile-kill"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(named("reconcile-timer"));
    private final WorkQueue queue;
    private final KillArbiter arbiter = new KillArbiter();
    private final Relister relister;
    private final Step step;
    private final Map<String, RuntimeStatus> exits = new ConcurrentHashMap<>();
    // The last transient state a pass saved itself: its next step is queued already, so the watch's echo of it is no news.
    private final Map<String, Long> savedTransient = new ConcurrentHashMap<>();
    private final Map<String, Backoff> backoffs = new ConcurrentHashMap<>();
    private volatile Watch watch;

    public Reconciler(InstanceRepository repository, RuntimeRegistry runtimes, Optional<ImageStore> images, Clock clock,
            Duration relistInterval, int maxConcurrentSteps) {
        this(repository, runtimes, images, clock, relistInterval, maxConcurrentSteps, RetryPolicy.defaults());
    }

    public Reconciler(InstanceRepository repository, RuntimeRegistry runtimes, Optional<ImageStore> images, Clock clock,
            Duration relistInterval, int maxConcurrentSteps, RetryPolicy retries) {
        this.repository = repository;
        this.runtimes = runtimes;
        this.clock = clock;
        this.relistInterval = relistInterval;
        this.retries = retries;
        this.workers = Executors.newFixedThreadPool(maxConcurrentSteps, named("reconcile"));
        this.queue = new WorkQueue(workers, this::pass);
        this.step = new Step(clock, images);
        this.relister = new Relister(repository, runtimes, clock, (instance, status) -> {
            exits.putIfAbsent(instance.id(), status);
            enqueue(instance.id());
        });
    }

    /**
     * Re-attaches to what runs (drivers' recover), then reconciles every instance of this node
     * and keeps watching for changes. Never stops a healthy instance because the daemon restarted.
     */
    public void start() {
        for (Driver driver : runtimes.drivers()) {
            driver.setExitListener((id, status) -> {
                exits.put(id, status);
                enqueue(id);
            });
        }
        long revision = repository.store().revision();
        relister.forEach(new InstanceFilter(null, null, runtimes.nodeId(), Map.of()), instance -> {
            recover(instance);
            enqueue(instance.id());
        });
        watch = repository.store().watch(InstanceRepository.INSTANCES, revision, events -> {
            for (WatchEvent event : events) {
                if (event.type() == WatchEvent.Type.PUT) {
                    onChange(repository.decode(event));
                }
            }
        });
        long period = relistInterval.toMillis();
        timer.scheduleWithFixedDelay(relister::relist, period, period, TimeUnit.MILLISECONDS);
    }

    /** When the last relist of running instances finished; health turns bad when it is stale. */
    public Instant lastRelist() {
        return relister.last();
    }

    public Duration relistInterval() {
        return relistInterval;
    }

    /** Queues a reconcile of the instance; repeated requests while it runs collapse into one rerun. */
    public void enqueue(String instanceId) {
        queue.enqueue(instanceId);
    }

    private void recover(Instance instance) {
        Optional<Driver> driver = runtimes.driverFor(instance);
        if (driver.isEmpty() || instance.state() == InstanceState.STOPPED) {
            return;
        }
        try {
            RuntimeStatus status = driver.get().recover(instance);
            if (instance.state() == InstanceState.RUNNING && !status.running()) {
                exits.put(instance.id(), status.phase() == RuntimeStatus.Phase.ABSENT
                        ? RuntimeStatus.exited(-1, "its process vanished while the daemon was down")
                        : status);
            }
        } catch (RuntimeException e) {
            LOG.warn("recover {} failed: {}", instance.id(), e.toString());
        }
    }

    private boolean mine(Instance instance) {
        return runtimes.nodeId().equals(instance.nodeId());
    }

    /**
     * A change seen on the watch. Queued first, so that a step that has not begun yet reads the
     * new intent; then a forced stop kills over a step of an earlier intent already in flight.
     */
    private void onChange(Instance instance) {
        if (!mine(instance)) {
            return;
        }
        Long saved = savedTransient.get(instance.id());
        boolean ownEcho = saved != null && instance.revision() <= saved && queue.running(instance.id());
        if (!ownEcho) {
            enqueue(instance.id());
        }
        if (instance.forceStop()) {
            killOverStep(instance);
        }
    }

    private void killOverStep(Instance instance) {
        Optional<Driver> driver = runtimes.driverFor(instance);
        CompletableFuture<Void> kill = driver.isEmpty() ? null : arbiter.killFor(instance.id(), instance.revision());
        if (kill == null) {
            return;
        }
        try {
            killers.execute(() -> {
                try {
                    driver.get().kill(instance);
                } catch (RuntimeException e) {
                    LOG.warn("kill {} failed: {}", instance.id(), e.toString());
                } finally {
                    kill.complete(null);
                }
            });
        } catch (RejectedExecutionException e) {
            kill.complete(null); // closing
        }
    }

    /** One pass; one that could not read or write the store (etcd out of reach) is tried again a second later. */
    private void pass(String id) {
        try {
            reconcile(id);
        } catch (DomainException e) {
            if (e.code() != ErrorCode.UNAVAILABLE) {
                throw e;
            }
            LOG.warn("{}: the store is unavailable, trying again in 1 s: {}", id, e.getMessage());
            later(id, STORE_RETRY);
        }
    }

    /** One pass over an instance: read, plan, act, save. */
    private void reconcile(String id) {
        Optional<Instance> found = repository.find(id);
        if (found.isEmpty()) {
            exits.remove(id);
            savedTransient.remove(id);
            backoffs.remove(id);
            return;
        }
        Instance instance = found.get();
        if (!mine(instance) || waitingToRetry(instance) || applyExit(instance)) {
            return;
        }
        Optional<Driver> driver = runtimes.driverFor(instance);
        if (driver.isEmpty()) {
            handleMissingDriver(instance);
            return;
        }
        if (!Step.hasWork(instance)) {
            return;
        }
        if (!arbiter.begin(id, instance.revision(), () -> queue.queuedAgain(id))) {
            return; // changed since it was read (a forced stop finds no step to kill yet): the queue runs it again
        }
        Step.Outcome outcome;
        try {
            outcome = step.run(instance, driver.get(), runtimes.stopTimeout(instance));
        } catch (DriverException e) {
            outcome = failure(instance, e.getMessage(), e.retryable());
        } catch (DomainException e) {
            // A port refusing with a reason (no free address) is the instance's error; one unavailable for now is retried.
            outcome = failure(instance, e.getMessage(), e.code() == ErrorCode.UNAVAILABLE);
        } catch (RuntimeException e) {
            // A bug in a driver or adapter must not leave the instance stuck in a transient state.
            LOG.error("reconcile step of {} failed unexpectedly", id, e);
            outcome = Step.Outcome.failed(instance, "internal error: " + e, clock.instant());
        } finally {
            arbiter.end(id).join(); // the next step must not overlap a kill sent over this one
        }
        save(instance, outcome);
    }

    /** A failed attempt saved with its back-off not yet over, the record unchanged since: its retry is scheduled. */
    private boolean waitingToRetry(Instance instance) {
        Backoff backoff = backoffs.get(instance.id());
        if (backoff == null) {
            return false;
        }
        if (backoff.revision() == instance.revision() && clock.instant().isBefore(backoff.due())) {
            return true;
        }
        backoffs.remove(instance.id(), backoff);
        return false;
    }

    /**
     * Applies an exit to a RUNNING instance once its runtime confirms that it no longer runs: an
     * exit seen for an earlier run (reported late, or by a relist that read it before a restart)
     * is no news for the run that started since. True when an exit was recorded.
     */
    private boolean applyExit(Instance instance) {
        RuntimeStatus exit = exits.remove(instance.id());
        if (exit == null) {
            return false;
        }
        if (instance.state() == InstanceState.STARTING) {
            exits.put(instance.id(), exit); // the start step finishes first; the exit applies to RUNNING
            return false;
        }
        if (instance.state() != InstanceState.RUNNING || instance.deleting()) {
            return false;
        }
        Optional<Driver> driver = runtimes.driverFor(instance);
        if (driver.isPresent() && driver.get().inspect(instance).running()) {
            LOG.debug("{}: an exit of an earlier run, ignored: it runs", instance.id());
            return false;
        }
        save(instance, Step.Outcome.save(Lifecycle.exited(instance, exit.exitCode(), exit.reason(), clock.instant())));
        return true;
    }

    /** A failure of the step: retried while attempts are left and a retry may help, else for good. */
    private Step.Outcome failure(Instance instance, String message, boolean retryable) {
        Instant now = clock.instant();
        if (instance.deleting()) {
            return Step.Outcome.retry(instance, message, now); // a deletion is never given up
        }
        if (retryable && instance.attempts() + 1 < retries.attempts()) {
            return Step.Outcome.retry(instance, message, now);
        }
        return Step.Outcome.failed(instance, retryable ? message + " (failed " + (instance.attempts() + 1) + " times)"
                : message, now);
    }

    private void handleMissingDriver(Instance instance) {
        if (instance.deleting()) {
            remove(instance);
        } else if (instance.state() != InstanceState.ERROR && instance.state() != InstanceState.STOPPED) {
            save(instance, Step.Outcome.save(Lifecycle.transition(instance, InstanceState.ERROR,
                    runtimes.missing(instance), clock.instant())));
        }
    }

    /**
     * Records an outcome; a lost compare-and-swap means the intent changed, so plan again.
     * After a transient state (CREATING -> STARTING) the instance is queued again at once, from
     * the record read back, instead of waiting for the watch to bring the change back; after a
     * failed attempt, once its back-off is over.
     */
    private void save(Instance before, Step.Outcome outcome) {
        switch (outcome.kind()) {
            case NOTHING -> { }
            case REMOVE -> remove(before);
            case SAVE, RETRY -> {
                Instance after = outcome.next();
                Txn txn = Txn.create();
                repository.update(txn, before, after);
                long revision = commit(txn, before.id());
                if (revision <= 0) {
                    return;
                }
                if (outcome.kind() == Step.Outcome.Kind.RETRY) {
                    Duration delay = retries.delay(after.attempts());
                    backoffs.put(after.id(), new Backoff(revision, clock.instant().plus(delay)));
                    LOG.info("{} {} {}: attempt {} failed, again in {} ms: {}", after.id(), after.name(), after.state(),
                            after.attempts(), delay.toMillis(), after.lastError());
                    later(after.id(), delay);
                    return;
                }
                LOG.info("{} {} {} -> {}: {}", after.id(), after.name(), before.state(), after.state(),
                        after.state() == InstanceState.ERROR ? after.errorMessage() : after.reason());
                if (TRANSIENT.contains(after.state())) {
                    savedTransient.put(after.id(), revision);
                    enqueue(after.id());
                }
            }
        }
    }

    private void remove(Instance before) {
        Txn txn = Txn.create();
        repository.remove(txn, before);
        if (commit(txn, before.id()) > 0) {
            LOG.info("{} {} {} -> DELETED", before.id(), before.name(), before.state());
        }
    }

    /** The write's revision, or 0 when it did not land; a lost swap or a store failure plans the instance again. */
    private long commit(Txn txn, String instanceId) {
        try {
            TxnResult result = repository.store().commitAndWait(txn);
            if (result.succeeded()) {
                return result.revision();
            }
            enqueue(instanceId);
        } catch (DomainException e) {
            LOG.warn("store write for {} failed, retrying: {}", instanceId, e.getMessage());
            later(instanceId, STORE_RETRY);
        }
        return 0;
    }

    /** Queues the instance again after {@code delay}; nothing once closing. */
    private void later(String instanceId, Duration delay) {
        try {
            timer.schedule(() -> enqueue(instanceId), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // the next daemon reconciles it
        }
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Stops reconciling; instances keep running (they outlive the daemon by design). */
    @Override
    public void close() {
        if (watch != null) {
            watch.close();
        }
        timer.shutdownNow();
        workers.shutdown();
        killers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
    }
}
