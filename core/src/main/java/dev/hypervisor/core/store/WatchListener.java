package dev.hypervisor.core.store;

import java.util.List;

/**
 * Receives a watch's changes. Called from the store's delivery thread, one call per
 * revision (its events in operation order); it must not block.
 */
public interface WatchListener {

    void onEvents(List<WatchEvent> events);

    /** The watch ended abnormally; no more calls follow. */
    default void onError(RuntimeException error) {}
}
