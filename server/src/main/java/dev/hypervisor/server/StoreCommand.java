package dev.hypervisor.server;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.StoreCopy;
import dev.hypervisor.host.HostLock;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hypervisord store ...}: work on a daemon's stored state while the daemon is stopped. */
@Command(name = "store", mixinStandardHelpOptions = true, subcommands = StoreCommand.Copy.class,
        description = "Work on a daemon's stored state while the daemon is stopped.")
final class StoreCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "expected a subcommand: copy");
    }

    @Command(name = "copy", mixinStandardHelpOptions = true,
            description = {"Copies every key of one store into an empty one: a single host's state (instances, image"
                    + " records, addresses, the request log) moved from SQLite into etcd, e.g.",
                "  hypervisord store copy --from sqlite --to etcd://10.0.0.1:2379 --store-prefix /hypervisor",
                "Stop the daemon first: a SQLite store is locked as the daemon locks it. The --store-* options"
                        + " apply to the etcd side."})
    static final class Copy implements Callable<Integer> {

        @Option(names = "--from", required = true, paramLabel = "STORE",
                description = "The store to copy, as --store names it: sqlite (DATA/state.db), sqlite:PATH or etcd://...")
        String from;

        @Option(names = "--to", required = true, paramLabel = "STORE", description = "The empty store to copy into, likewise.")
        String to;

        @Option(names = "--data-dir", defaultValue = "data",
                description = "The data directory SQLite paths are relative to. Default: ${DEFAULT-VALUE}")
        Path dataDir;

        @Mixin
        StoreAccessOptions access = new StoreAccessOptions();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            StoreLocation source = location(from, "--from");
            StoreLocation target = location(to, "--to");
            if (!source.onNetwork() && !target.onNetwork() && !access.access().isNone()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "the --store-* options apply to --store"
                        + " etcd://... only, and neither --from nor --to is one");
            }
            if (source.toString().equals(target.toString())) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--from and --to name the same store: " + source);
            }
            List<HostLock> locks = new ArrayList<>();
            try {
                if (!source.onNetwork() && !Files.isRegularFile(source.sqliteFile(dataDir))) {
                    err.println("hypervisord store copy: there is no SQLite store at " + source.sqliteFile(dataDir));
                    return 1;
                }
                for (StoreLocation side : List.of(source, target)) {
                    if (!side.onNetwork()) {
                        locks.add(lockDataDirOf(side.sqliteFile(dataDir)));
                    }
                }
                long started = System.nanoTime();
                try (Store src = source.open(dataDir); Store dst = target.open(dataDir)) {
                    StoreCopy.Copied copied = StoreCopy.copy(src, dst);
                    out.printf("copied %d keys from %s to %s in %d transactions (%.1f s)%n", copied.keys(), source, target,
                            copied.transactions(), (System.nanoTime() - started) / 1e9);
                    out.flush();
                    return 0;
                }
            } catch (HostLock.Held | DomainException e) {
                err.println("hypervisord store copy: " + e.getMessage());
                return 1;
            } finally {
                locks.forEach(HostLock::close);
            }
        }

        /** The lock a daemon holds on the data directory the file is in (its state.db by default). */
        private static HostLock lockDataDirOf(Path file) {
            Path dir = file.toAbsolutePath().getParent();
            try {
                Files.createDirectories(dir);
            } catch (java.io.IOException e) {
                throw DomainException.unavailable("cannot create " + dir + ": " + e.getMessage(), e);
            }
            return HostLock.acquire(dir.resolve("hypervisord.lock"), "the data directory " + dir + " (stop its daemon first)");
        }

        private StoreLocation location(String uri, String option) {
            try {
                StoreLocation parsed = StoreLocation.parse(uri);
                return parsed.onNetwork() ? access.applyTo(parsed) : parsed;
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage().replace("--store:", option + ":"));
            }
        }
    }
}
