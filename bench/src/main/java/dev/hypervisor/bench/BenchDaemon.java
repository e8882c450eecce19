package dev.hypervisor.bench;

import dev.hypervisor.server.Hypervisord;
import java.util.List;

/**
 * The daemon under test: the real hypervisord command line with a {@link NoopDriver} for
 * containers, which the production daemon never registers.
 */
public final class BenchDaemon {

    private BenchDaemon() {}

    public static void main(String[] args) {
        System.exit(Hypervisord.run(args, config -> config.withRuntimes(List.of(new NoopDriver())).withoutImageStore()));
    }
}
