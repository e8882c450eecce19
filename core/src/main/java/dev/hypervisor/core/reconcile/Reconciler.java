package dev.hypervisor.core.reconcile;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.error.DomainException;
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
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives this node's instances toward their recorded intent, one idempotent step at a time.
 *
 * <p>Every change to an instance record (seen on the store's watch), every exit a driver
 * reports and every periodic relist queues the instance; a worker then re-reads the record,
 * takes the one step its state calls for ({@link Step}), and records the outcome with a
 * compare-and-swap. A lost swap means the intent changed meanwhile: the instance is simply
 * planned again. Steps of one instance never run concurrently, except a kill: a forced stop
 * kills at once, over whatever step is in flight, and the next step waits for that kill.
 */
public final class Reconciler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private static final Set<InstanceState> TRANSIENT = EnumSet.of(InstanceState.CREATING, InstanceState.STARTING,
            InstanceState.STOPPING, InstanceState.RESTARTING);

    private final InstanceRepository repository;
    private final RuntimeRegistry runtimes;
    private final Clock clock;
    private final Duration relistInterval;
    private final ExecutorService workers;
    private final ExecutorService killers = Executors.newCachedThreadPool(named("reconcile-kill"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(named("reconcile-timer"));
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final Map<String, RuntimeStatus> exits = new ConcurrentHashMap<>();
    private final Step step;
    private volatile Watch watch;
    private volatile Instant lastRelist;

    /**
     * Per instance: whether a worker runs for it, whether it must run again, the revision whose
     * step (one with work to do) is in flight, whether a kill was sent and when the kills sent
     * over that step are done, and the last transient state the worker saved (its next step is
     * already queued).
     */
    private static final class Slot {
        boolean running;
        boolean dirty;
        long steppingRevision;
        long killedAtRevision;
        CompletableFuture<Void> kills = CompletableFuture.completedFuture(null);
        long savedTransientRevision;
    }

    public Reconciler(InstanceRepository repository, RuntimeRegistry runtimes, Optional<ImageStore> images, Clock clock,
            Duration relistInterval, int maxConcurrentSteps) {
        this.repository = repository;
        this.runtimes = runtimes;
        this.clock = clock;
        this.relistInterval = relistInterval;
        this.workers = Executors.newFixedThreadPool(maxConcurrentSteps, named("reconcile"));
        this.step = new Step(clock, images);
        this.lastRelist = clock.instant();
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
        forEachOnNode(instance -> {
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
        timer.scheduleWithFixedDelay(this::relist, period, period, TimeUnit.MILLISECONDS);
    }

    /** When the last relist of running instances finished; health turns bad when it is stale. */
    public Instant lastRelist() {
        return lastRelist;
    }

    public Duration relistInterval() {
        return relistInterval;
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

    private void onChange(Instance instance) {
        if (!runtimes.nodeId().equals(instance.nodeId())) {
            return;
        }
        Optional<Driver> driver = instance.forceStop() ? runtimes.driverFor(instance) : Optional.empty();
        CompletableFuture<Void> kill = driver.isPresent() ? needsKill(instance) : null;
        if (kill != null) {
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
        if (!nextStepQueued(instance)) {
            enqueue(instance.id());
        }
    }

    /**
     * Whether this change is a transient state that this node's worker saved itself (or an
     * older one) while it still runs: it takes the next step without waiting for the watch.
     */
    private boolean nextStepQueued(Instance instance) {
        Slot slot = slots.get(instance.id());
        if (slot == null) {
            return false;
        }
        synchronized (slot) {
            return slot.running && instance.revision() <= slot.savedTransientRevision;
        }
    }

    /**
     * A forced stop recorded while a step of an earlier intent is in flight: kill once per
     * forced revision. Not while the worker merely looks at a RUNNING instance (the kill would
     * land on what the forced step itself starts), nor over the forced revision's own step.
     * Returns the kill to complete once sent and done, or null: the worker waits for it when the
     * step ends, so a kill never outlives the step it was sent over and lands on a later one.
     */
    private CompletableFuture<Void> needsKill(Instance instance) {
        Slot slot = slots.get(instance.id());
        if (slot == null) {
            return null;
        }
        synchronized (slot) {
            if (!slot.running || slot.killedAtRevision >= instance.revision() || slot.steppingRevision == 0
                    || slot.steppingRevision >= instance.revision()) {
                return null;
            }
            slot.killedAtRevision = instance.revision();
            CompletableFuture<Void> kill = new CompletableFuture<>();
            slot.kills = slot.kills.isDone() ? kill : CompletableFuture.allOf(slot.kills, kill);
            return kill;
        }
    }

    /** Queues a reconcile of the instance; repeated requests while it runs collapse into one rerun. */
    public void enqueue(String instanceId) {
        while (true) {
            Slot slot = slots.computeIfAbsent(instanceId, id -> new Slot());
            synchronized (slot) {
                if (slots.get(instanceId) != slot) {
                    // A worker finished and dropped this slot between the lookup and the lock;
                    // running on it would let a second worker start on a fresh slot at once.
                    continue;
                }
                if (slot.running) {
                    slot.dirty = true;
                    return;
                }
                slot.running = true;
            }
            workers.execute(() -> work(instanceId, slot));
            return;
        }
    }

    private void work(String instanceId, Slot slot) {
        while (true) {
            synchronized (slot) {
                slot.dirty = false;
            }
            try {
                reconcileOnce(instanceId, slot);
            } catch (RuntimeException e) {
                LOG.error("reconcile {} failed", instanceId, e);
            }
            synchronized (slot) {
                if (!slot.dirty) {
                    slot.running = false;
                    slot.killedAtRevision = 0;
                    slots.remove(instanceId, slot);
                    return;
                }
            }
        }
    }

    private void reconcileOnce(String instanceId, Slot slot) {
        Optional<Instance> found = repository.find(instanceId);
        if (found.isEmpty()) {
            exits.remove(instanceId);
            return;
        }
        Instance instance = found.get();
        if (!runtimes.nodeId().equals(instance.nodeId())) {
            return;
        }
        RuntimeStatus exit = exits.remove(instanceId);
        if (exit != null && instance.state() == InstanceState.RUNNING && !instance.deleting()) {
            save(instance, Lifecycle.exited(instance, exit.exitCode(), exitReason(exit), clock.instant()), slot);
            return;
        }
        if (exit != null && instance.state() == InstanceState.STARTING) {
            exits.put(instanceId, exit); // the start step finishes first; the exit applies to RUNNING
        }
        Optional<Driver> driver = runtimes.driverFor(instance);
        if (driver.isEmpty()) {
            handleMissingDriver(instance, slot);
            return;
        }
        Step.Outcome outcome;
        if (instance.deleting() || TRANSIENT.contains(instance.state())) {
            synchronized (slot) {
                if (slot.dirty) {
                    return; // changed since it was read (a forced stop finds no step to kill yet): read again
                }
                slot.steppingRevision = instance.revision();
            }
        }
        try {
            outcome = step.run(instance, driver.get(), runtimes.stopTimeout(instance));
        } catch (DriverException e) {
            outcome = Step.Outcome.failed(instance, e.getMessage(), clock.instant());
        } catch (DomainException e) {
            // A port refused with a reason (no free address, an address taken): the instance's error, not a bug.
            outcome = Step.Outcome.failed(instance, e.getMessage(), clock.instant());
        } catch (RuntimeException e) {
            // A bug in a driver or adapter must not leave the instance stuck in a transient state.
            LOG.error("reconcile step of {} failed unexpectedly", instanceId, e);
            outcome = Step.Outcome.failed(instance, "internal error: " + e, clock.instant());
        } finally {
            CompletableFuture<Void> kills;
            synchronized (slot) {
                slot.steppingRevision = 0;
                kills = slot.kills;
            }
            // A forced stop's kill runs over this step; the next step (the forced one, or whatever
            // the intent is by then) must not overlap it: its runc delete would remove what that
            // step creates, or kill the run that step starts.
            kills.join();
        }
        switch (outcome.kind()) {
            case NOTHING -> { }
            case SAVE -> save(instance, outcome.next(), slot);
            case REMOVE -> remove(instance);
        }
    }

    private static String exitReason(RuntimeStatus exit) {
        return exit.reason().isEmpty() ? "" : exit.reason();
    }

    private void handleMissingDriver(Instance instance, Slot slot) {
        if (instance.deleting()) {
            remove(instance);
        } else if (instance.state() != InstanceState.ERROR && instance.state() != InstanceState.STOPPED) {
            String message = runtimes.missing(instance);
            save(instance, Lifecycle.transition(instance, InstanceState.ERROR, message, clock.instant()), slot);
        }
    }

    /**
     * Records an outcome; a lost compare-and-swap means the intent changed, so plan again.
     * After a transient state (CREATING -> STARTING) the worker runs
     * again at once, from the record it reads back, instead of waiting for the watch to bring
     * its own change back: that round trip was a thread hand-off or two on every create.
     */
    private void save(Instance before, Instance after, Slot slot) {
        Txn txn = Txn.create();
        repository.update(txn, before, after);
        long revision = commit(txn, before.id());
        if (revision > 0) {
            LOG.info("{} {} {} -> {}: {}", after.id(), after.name(), before.state(), after.state(),
                    after.state() == InstanceState.ERROR ? after.errorMessage() : after.reason());
            if (TRANSIENT.contains(after.state())) {
                synchronized (slot) {
                    slot.savedTransientRevision = revision;
                    slot.dirty = true;
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
            timer.schedule(() -> enqueue(instanceId), 1, TimeUnit.SECONDS);
        }
        return 0;
    }

    /** Inspects every RUNNING instance, as kubelet's PLEG does, to catch exits no event reported. */
    private void relist() {
        try {
            InstanceFilter running = new InstanceFilter(null, InstanceState.RUNNING, runtimes.nodeId(), Map.of());
            String after = "";
            do {
                InstanceRepository.Page page = repository.list(running, after, 500);
                for (Instance instance : page.instances()) {
                    runtimes.driverFor(instance).ifPresent(driver -> {
                        RuntimeStatus status = driver.inspect(instance);
                        if (!status.running()) {
                            exits.putIfAbsent(instance.id(), status.phase() == RuntimeStatus.Phase.ABSENT
                                    ? RuntimeStatus.exited(-1, "its process is gone") : status);
                            enqueue(instance.id());
                        }
                    });
                }
                after = page.nextAfterId();
            } while (!after.isEmpty());
            lastRelist = clock.instant();
        } catch (RuntimeException e) {
            LOG.warn("relist failed: {}", e.toString());
        }
    }

    private void forEachOnNode(Consumer<Instance> action) {
        InstanceFilter mine = new InstanceFilter(null, null, runtimes.nodeId(), Map.of());
        String after = "";
        do {
            InstanceRepository.Page page = repository.list(mine, after, 500);
            page.instances().forEach(action);
            after = page.nextAfterId();
        } while (!after.isEmpty());
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
