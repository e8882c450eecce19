package dev.hypervisor.server;

import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.host.HostLock;
import dev.hypervisor.network.BridgeNetwork;
import dev.hypervisor.network.NetworkOptions;
import java.nio.file.Path;

/**
 * The node's bridge network, opened for the first runtime that needs it. The bridge and the
 * addresses its IPAM hands out belong to this daemon alone: the bridge is locked
 * ({@code /run/hypervisord/bridge-NAME.lock}, a second daemon on it is refused), and no other
 * interface of the host may hold its subnet.
 */
final class HostNetwork implements DaemonConfig.NetworksFactory {

    private final NetworkOptions options;
    // Held for the daemon's life (the config, and so this, lives as long as the daemon): a lock
    // only a local referred to would be released when the garbage collector closes its file.
    private HostLock bridge;

    HostNetwork(NetworkOptions options) {
        this.options = options;
    }

    @Override
    public synchronized Networks open(Store store) {
        if (bridge == null) {
            bridge = HostLock.acquire(Path.of("/run/hypervisord", "bridge-" + options.bridgeName() + ".lock"),
                    "bridge " + options.bridgeName());
        }
        try {
            BridgeNetwork.requireSubnetFree(options);
        } catch (IllegalStateException e) {
            bridge.close();
            bridge = null;
            throw new HostLock.Held(e.getMessage());
        }
        return BridgeNetwork.open(store, options);
    }
}
