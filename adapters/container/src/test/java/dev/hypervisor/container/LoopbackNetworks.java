package dev.hypervisor.container;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.network.NetworkAttachment;
import dev.hypervisor.core.network.NetworkCounters;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.network.TapAttachment;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A test double of the network port: a real namespace with loopback only, for runtime tests that need no bridge. */
final class LoopbackNetworks implements Networks {

    @Override
    public NetworkAttachment attachNamespace(Instance instance) {
        String name = name(instance);
        try {
            if (!Files.exists(Path.of("/var/run/netns", name))) {
                HostCommand.run(null, List.of("ip", "netns", "add", name));
            }
            HostCommand.run(null, List.of("ip", "-n", name, "link", "set", "lo", "up"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new NetworkAttachment("none", "/var/run/netns/" + name, "", 0, "", List.of(), List.of());
    }

    /** Loopback only, as on network {@code none}: no TAP, no address. */
    @Override
    public TapAttachment attachTap(Instance instance) {
        return new TapAttachment("", new NetworkAttachment("none", "", "", 0, "", List.of(), List.of()));
    }

    @Override
    public void detach(Instance instance) {
        try {
            if (Files.exists(Path.of("/var/run/netns", name(instance)))) {
                HostCommand.run(null, List.of("ip", "netns", "delete", name(instance)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public NetworkCounters counters(Instance instance) {
        return NetworkCounters.ZERO;
    }

    static String name(Instance instance) {
        return "hvtest-" + instance.id();
    }
}
