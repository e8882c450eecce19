package dev.hypervisor.server;

import dev.hypervisor.core.store.Store;
import dev.hypervisor.host.SecretFiles;
import dev.hypervisor.store.etcd.EtcdStore;
import dev.hypervisor.store.etcd.EtcdStoreOptions;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where a daemon keeps its state, as {@code --store} names it: {@code sqlite:PATH} (a file;
 * {@code sqlite} alone is {@code DATA/state.db}, the embedded default) or
 * {@code etcd://host:2379[,host:2379...]} with the {@link Access} the {@code --store-*} options
 * give. A new store is one adapter and one case in {@link #open}.
 */
public record StoreLocation(String scheme, String address, Access access) {

    static final String SQLITE = "sqlite";
    static final String ETCD = "etcd";

    /**
     * What a store on the network needs besides its address: the key prefix this installation
     * owns, TLS material (a CA, and a client certificate and key when the store asks for one),
     * a user and the file holding its password, and how much change history to keep (null: the
     * store's default).
     */
    public record Access(String prefix, Path ca, Path cert, Path key, String user, Path passwordFile, Duration history) {

        public static Access none() {
            return new Access("", null, null, null, null, null, null);
        }

        boolean isNone() {
            return equals(none());
        }
    }

    /** SQLite under the data directory. */
    public static StoreLocation embedded() {
        return new StoreLocation(SQLITE, "", Access.none());
    }

    /** Parses a {@code --store} value; IllegalArgumentException saying what is accepted. */
    public static StoreLocation parse(String uri) {
        String text = uri == null ? "" : uri.strip();
        int colon = text.indexOf(':');
        String scheme = colon < 0 ? text : text.substring(0, colon);
        String address = colon < 0 ? "" : text.substring(colon + 1);
        if (scheme.equals(ETCD)) {
            if (!address.startsWith("//")) {
                throw new IllegalArgumentException("--store: expected etcd://host:port[,host:port...], got \"" + uri + "\"");
            }
            EtcdStoreOptions.parseMembers(address.substring(2));
            return new StoreLocation(ETCD, address.substring(2), Access.none());
        }
        if (!scheme.equals(SQLITE)) {
            throw new IllegalArgumentException("--store: expected sqlite, sqlite:PATH or etcd://host:port[,host:port...], got \""
                    + uri + "\"");
        }
        return new StoreLocation(scheme, address, Access.none());
    }

    /** The same location with the {@code --store-*} settings; refused for SQLite, which has no use for them. */
    public StoreLocation withAccess(Access access) {
        if (scheme.equals(SQLITE) && !access.isNone()) {
            throw new IllegalArgumentException("--store-prefix, --store-ca, --store-cert, --store-key, --store-user,"
                    + " --store-password-file and --store-history apply to --store etcd://... only");
        }
        return new StoreLocation(scheme, address, access);
    }

    boolean onNetwork() {
        return scheme.equals(ETCD);
    }

    /** The SQLite file of this location: relative paths are under the data directory, none is DATA/state.db. */
    Path sqliteFile(Path dataDir) {
        if (!scheme.equals(SQLITE)) {
            throw new IllegalStateException(this + " is not SQLite");
        }
        return address.isEmpty() ? dataDir.resolve("state.db") : dataDir.resolve(address);
    }

    /** Opens the store; relative SQLite paths are under the data directory. */
    Store open(Path dataDir) {
        if (access.key() != null) {
            SecretFiles.requirePrivate(access.key(), "--store-key");
        }
        if (access.passwordFile() != null) {
            SecretFiles.requirePrivate(access.passwordFile(), "--store-password-file");
        }
        return switch (scheme) {
            case SQLITE -> SqliteStore.open(sqliteFile(dataDir), SqliteStoreOptions.defaults());
            case ETCD -> EtcdStore.open(EtcdStoreOptions.of(EtcdStoreOptions.parseMembers(address))
                    .withPrefix(access.prefix())
                    .withTls(access.ca(), access.cert(), access.key())
                    .withAuth(access.user(), access.passwordFile())
                    .withHistory(access.history() != null ? access.history() : EtcdStoreOptions.DEFAULT_HISTORY));
            default -> throw new IllegalStateException("no store for scheme " + scheme);
        };
    }

    @Override
    public String toString() {
        if (scheme.equals(ETCD)) {
            return "etcd://" + address + (access.prefix().isEmpty() ? "" : " (prefix " + access.prefix() + ")");
        }
        return address.isEmpty() ? scheme : scheme + ":" + address;
    }
}
