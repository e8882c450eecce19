package dev.hypervisor.store.etcd;

import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchEvent;
import dev.hypervisor.core.store.WatchListener;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * All the port's watches of one prefix on a single etcd watch, as the apiserver's watch cache
 * does: etcd sends each change once, and it is fanned out here to every watcher, however many
 * clients watch. The last {@link #BUFFERED} revisions are kept, so that a watcher starting a
 * little behind the stream (it read the current revision just before a commit) is caught up
 * from memory; one further behind gets an etcd watch of its own from its revision.
 *
 * <p>A watcher's events come in revision order with none repeated: it is handed the buffered
 * revisions after its own and then every live one, all under this hub's lock, which the stream
 * also takes to deliver. Listeners must not block (the port's rule for every watch).
 */
final class EtcdWatchHub implements WatchListener {

    static final int BUFFERED = 1024;

    private record Batch(long revision, List<WatchEvent> events) {}

    private final EtcdStore store;
    private final String prefix;
    private final java.util.function.Consumer<EtcdWatchHub> onEmpty;
    /** Copied on write: a listener may close its own watch while it is being delivered to. */
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final Deque<Batch> recent = new ArrayDeque<>();
    private EtcdWatch stream;
    /** The stream has delivered every change up to here (the port's revisions). */
    private long position;
    /** Every change after this revision is in {@link #recent} (or was not under the prefix). */
    private long coveredFrom;
    private boolean closed;

    EtcdWatchHub(EtcdStore store, String prefix, java.util.function.Consumer<EtcdWatchHub> onEmpty) {
        this.store = store;
        this.prefix = prefix;
        this.onEmpty = onEmpty;
    }

    /**
     * A watch of the changes after {@code afterRevision}; null when this hub cannot serve it (it is
     * closed, or the revision is older than what it holds) and the caller should watch on its own.
     */
    Watch subscribe(long afterRevision, WatchListener listener) {
        EtcdWatch toOpen = null;
        Subscriber s;
        synchronized (this) {
            if (closed) {
                return null;
            }
            if (stream == null) {
                stream = new EtcdWatch(store, prefix, afterRevision, this);
                position = afterRevision;
                coveredFrom = afterRevision;
                toOpen = stream;
            } else if (afterRevision < coveredFrom) {
                return null;
            }
            s = new Subscriber(listener, afterRevision);
            for (Batch b : recent) {
                if (b.revision() > afterRevision) {
                    listener.onEvents(b.events());
                }
            }
            s.delivered = Math.max(afterRevision, position);
            if (!s.closed) {
                subscribers.add(s);
            }
        }
        if (toOpen != null) {
            store.register(toOpen);
            toOpen.open();
        }
        return s;
    }

    @Override
    public void onEvents(List<WatchEvent> events) {
        synchronized (this) {
            if (closed || events.isEmpty()) {
                return;
            }
            long revision = events.get(0).revision();
            recent.addLast(new Batch(revision, events));
            if (recent.size() > BUFFERED) {
                coveredFrom = recent.removeFirst().revision();
            }
            position = revision;
            for (Subscriber s : subscribers) {
                if (revision > s.delivered) {
                    s.delivered = revision;
                    s.listener.onEvents(events);
                }
            }
        }
    }

    @Override
    public void onError(RuntimeException error) {
        List<Subscriber> ended;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            ended = List.copyOf(subscribers);
            subscribers.clear();
        }
        onEmpty.accept(this);
        ended.forEach(s -> s.listener.onError(error));
    }

    private void leave(Subscriber s) {
        EtcdWatch toClose = null;
        synchronized (this) {
            s.closed = true;
            if (!subscribers.remove(s) || !subscribers.isEmpty() || closed) {
                return;
            }
            closed = true;
            toClose = stream;
        }
        onEmpty.accept(this);
        if (toClose != null) {
            toClose.close();
        }
    }

    /** One port watch on the hub: what it has been given so far. */
    private final class Subscriber implements Watch {
        final WatchListener listener;
        long delivered;
        boolean closed;

        Subscriber(WatchListener listener, long delivered) {
            this.listener = listener;
            this.delivered = delivered;
        }

        @Override
        public void close() {
            leave(this);
        }
    }
}
