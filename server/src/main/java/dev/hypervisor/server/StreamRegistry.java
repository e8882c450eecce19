package dev.hypervisor.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The open server streams, so that a shutdown can end each one cleanly instead of cutting it. */
final class StreamRegistry {

    /** A stream the daemon can end on shutdown. */
    interface Closeable {
        /** Ends the stream with UNAVAILABLE "shutting down" so the client reconnects elsewhere or later. */
        void shutdown();

        void onClosed(Runnable action);
    }

    private final Set<Closeable> open = ConcurrentHashMap.newKeySet();

    void track(Closeable stream) {
        open.add(stream);
        stream.onClosed(() -> open.remove(stream));
    }

    void shutdownAll() {
        open.forEach(Closeable::shutdown);
        open.clear();
    }

}
