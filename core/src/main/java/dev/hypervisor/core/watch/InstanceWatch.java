package dev.hypervisor.core.watch;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchEvent;
import dev.hypervisor.core.store.WatchListener;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One watcher's stream of instance events: the initial state (read lazily, a page at a
 * time, as the consumer takes it), then every matching change in revision order. Changes
 * wait in a bounded queue; a consumer that lets it fill up is cut off with
 * RESOURCE_EXHAUSTED instead of growing memory without bound. The transport pulls with
 * {@link #poll()} whenever {@code onAvailable} fires or it can send again.
 */
public final class InstanceWatch implements WatchListener, AutoCloseable {

    private final InstanceRepository repository;
    private final WatchRequest request;
    private final int capacity;
    private final Runnable onAvailable;
    private final Clock clock;
    private final long startRevision;
    private final EventDecoder decoder;

    private final ArrayDeque<InstanceEvent> queue = new ArrayDeque<>();
    private ArrayDeque<InstanceEvent> initial;
    private String initialCursor = "";
    private Map<String, Long> initialRevisions = new HashMap<>();
    private long lastSeenRevision;
    private volatile long lastPolledRevision;
    private Instant lastOffered;
    private DomainException failure;
    private Watch storeWatch;
    private boolean closed;

    InstanceWatch(InstanceRepository repository, WatchRequest request, int capacity, Runnable onAvailable,
            Clock clock, long startRevision, EventDecoder decoder) {
        this.decoder = decoder;
        this.repository = repository;
        this.request = request;
        this.capacity = capacity;
        this.onAvailable = onAvailable;
        this.clock = clock;
        this.startRevision = startRevision;
        this.lastSeenRevision = startRevision;
        this.lastPolledRevision = startRevision;
        this.lastOffered = clock.instant();
        this.initial = request.sendInitial() ? new ArrayDeque<>() : null;
    }

    synchronized void attach(Watch watch) {
        if (closed) {
            watch.close();
        } else {
            storeWatch = watch;
        }
    }

    /** The next event to send, or null when there is none now (see {@link #failure()}). */
    public InstanceEvent poll() {
        InstanceEvent next = nextInitial();
        if (next == null) {
            synchronized (this) {
                next = queue.poll();
            }
        }
        if (next != null && next.type() != InstanceEvent.Type.INITIAL) {
            lastPolledRevision = next.revision();
        }
        return next;
    }

    /** Why the watch ended, once every event before the failure was polled; null while healthy. */
    public synchronized DomainException failure() {
        return queue.isEmpty() ? failure : null;
    }

    @Override
    public void onEvents(List<WatchEvent> events) {
        synchronized (this) {
            if (closed || failure != null) {
                return;
            }
            for (WatchEvent event : events) {
                lastSeenRevision = Math.max(lastSeenRevision, event.revision());
                InstanceEvent converted = decoder.decode(event);
                if (converted == null || !wanted(converted)) {
                    continue;
                }
                if (queue.size() >= capacity) {
                    queue.clear();
                    fail(new DomainException(ErrorCode.RESOURCE_EXHAUSTED, "watch consumer too slow: more than "
                            + capacity + " events pending; watch again with after_revision=" + lastDelivered()));
                    break;
                }
                queue.add(converted);
                // The event's own time (when it was decoded, once for all watchers), not a
                // clock read per watcher: only the bookmark timer uses it.
                lastOffered = converted.time();
            }
        }
        onAvailable.run();
    }

    @Override
    public void onError(RuntimeException error) {
        synchronized (this) {
            fail(error instanceof DomainException d ? d
                    : DomainException.unavailable("store watch failed: " + error.getMessage(), error));
        }
        onAvailable.run();
    }

    /** Offers a BOOKMARK when nothing was offered for the bookmark interval. */
    void bookmarkIfIdle(Instant now) {
        synchronized (this) {
            if (closed || failure != null || !queue.isEmpty() || initial != null
                    || now.isBefore(lastOffered.plus(request.bookmarkInterval()))) {
                return;
            }
            queue.add(InstanceEvent.bookmark(lastSeenRevision, now));
            lastOffered = now;
        }
        onAvailable.run();
    }

    @Override
    public void close() {
        Watch watch;
        synchronized (this) {
            closed = true;
            queue.clear();
            watch = storeWatch;
            storeWatch = null;
        }
        if (watch != null) {
            watch.close();
        }
    }

    public synchronized boolean closed() {
        return closed;
    }

    private void fail(DomainException error) {
        failure = error;
        if (storeWatch != null) {
            storeWatch.close();
            storeWatch = null;
        }
    }

    private long lastDelivered() {
        return lastPolledRevision;
    }

    /** Pages through the current state; ends with a BOOKMARK at the watch's start revision. */
    private InstanceEvent nextInitial() {
        if (initial == null) {
            return null;
        }
        if (initial.isEmpty() && initialCursor != null) {
            loadInitialPage();
        }
        InstanceEvent next = initial.poll();
        if (next != null) {
            return next;
        }
        synchronized (this) {
            initial = null;
            lastOffered = clock.instant();
            // Changes already covered by the initial state are dropped once, here.
            queue.removeIf(e -> e.instance() != null
                    && e.revision() <= initialRevisions.getOrDefault(e.instance().id(), 0L));
            initialRevisions = null;
        }
        return InstanceEvent.bookmark(startRevision, clock.instant());
    }

    private void loadInitialPage() {
        Instant now = clock.instant();
        if (!request.instanceId().isEmpty()) {
            repository.find(request.instanceId()).filter(this::matches).ifPresent(i -> addInitial(i, now));
            initialCursor = null;
            return;
        }
        InstanceRepository.Page page = repository.list(request.filter(), initialCursor, 500);
        page.instances().forEach(i -> addInitial(i, now));
        initialCursor = page.nextAfterId().isEmpty() ? null : page.nextAfterId();
    }

    private void addInitial(Instance instance, Instant now) {
        initial.add(new InstanceEvent(InstanceEvent.Type.INITIAL, instance, null, instance.revision(), now,
                instance.reason()));
        synchronized (this) {
            initialRevisions.put(instance.id(), instance.revision());
        }
    }

    private boolean wanted(InstanceEvent event) {
        Instance instance = event.instance();
        if (!request.instanceId().isEmpty() && !request.instanceId().equals(instance.id())) {
            return false;
        }
        if (matches(instance)) {
            return true;
        }
        // A state filter also shows the change that leaves the state, so a watcher of
        // RUNNING instances learns that one stopped.
        InstanceState wantedState = request.filter().state();
        return wantedState != null && wantedState == event.previousState()
                && request.filter().matches(withState(instance, wantedState));
    }

    private boolean matches(Instance instance) {
        return request.filter().matches(instance);
    }

    private static Instance withState(Instance i, InstanceState state) {
        return new Instance(i.id(), i.name(), i.type(), state, i.spec(), i.nodeId(), i.ipAddress(), i.metadata(),
                i.errorMessage(), i.createdAt(), i.updatedAt(), i.placement(), i.desired(), i.previousState(),
                i.reason(), i.stopTimeoutSeconds(), i.forceStop(), i.attempts(), i.lastError(), i.revision());
    }
}
