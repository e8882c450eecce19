package dev.hypervisor.server;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The {@code --store-*} options: how to reach a store on the network, shared by the daemon and {@code store copy}. */
final class StoreAccessOptions {

    @Option(names = "--store-prefix", defaultValue = "",
            description = "With etcd: the key prefix this installation owns, so that several share one etcd (e.g. /hypervisor).")
    String storePrefix;

    @Option(names = "--store-ca", description = "With etcd: the CA that signed etcd's server certificates (turns TLS on).")
    Path storeCa;

    @Option(names = "--store-cert", description = "With etcd: this daemon's client certificate (PEM), with --store-key.")
    Path storeCert;

    @Option(names = "--store-key", description = "With etcd: the PKCS#8 PEM key of --store-cert.")
    Path storeKey;

    @Option(names = "--store-user", description = "With etcd: the etcd user (etcd's own auth), with --store-password-file.")
    String storeUser;

    @Option(names = "--store-password-file", description = "With etcd: a file holding the password of --store-user.")
    Path storePasswordFile;

    @Option(names = "--store-history", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "With etcd: how much change history etcd keeps (watches can resume within it), e.g. 90s, 30m,"
                    + " 1h; older revisions are compacted, etcd-wide. 0: never compact (leave it to etcd's own"
                    + " --auto-compaction-retention). Default: 1h")
    Duration storeHistory;

    /** {@code location} with these settings when it is on the network; SQLite refuses any of them. */
    StoreLocation applyTo(StoreLocation location) {
        return location.withAccess(access());
    }

    StoreLocation.Access access() {
        return new StoreLocation.Access(storePrefix, storeCa, storeCert, storeKey, storeUser, storePasswordFile, storeHistory);
    }
}
