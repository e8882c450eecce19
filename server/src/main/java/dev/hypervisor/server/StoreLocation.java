package dev.hypervisor.server;

import dev.hypervisor.core.store.Store;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import java.nio.file.Path;

/**
 * Where a daemon keeps its state, as {@code --store} names it: {@code sqlite:PATH} (a file;
 * {@code sqlite} alone is {@code DATA/state.db}, the embedded default). A new store is one
 * adapter and one case in {@link #open}.
 */
public record StoreLocation(String scheme, String address) {

    static final String SQLITE = "sqlite";

    /** SQLite under the data directory. */
    public static StoreLocation embedded() {
        return new StoreLocation(SQLITE, "");
    }

    /** Parses a {@code --store} value; IllegalArgumentException saying what is accepted. */
    public static StoreLocation parse(String uri) {
        String text = uri == null ? "" : uri.strip();
        int colon = text.indexOf(':');
        String scheme = colon < 0 ? text : text.substring(0, colon);
        String address = colon < 0 ? "" : text.substring(colon + 1);
        if (!scheme.equals(SQLITE)) {
            throw new IllegalArgumentException("--store: expected sqlite or sqlite:PATH, got \"" + uri + "\"");
        }
        return new StoreLocation(scheme, address);
    }

    /** Opens the store; relative paths are under the data directory. */
    Store open(Path dataDir) {
        return switch (scheme) {
            case SQLITE -> SqliteStore.open(address.isEmpty() ? dataDir.resolve("state.db") : dataDir.resolve(address),
                    SqliteStoreOptions.defaults());
            default -> throw new IllegalStateException("no store for scheme " + scheme);
        };
    }

    @Override
    public String toString() {
        return address.isEmpty() ? scheme : scheme + ":" + address;
    }
}
