package dev.hypervisor.server;

import dev.hypervisor.core.image.DiskImages;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.image.RootFilesystems;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.runtime.PhaseTimings;
import dev.hypervisor.core.runtime.RuntimeContext;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.images.LocalImageStore;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The node's services that runtimes open their drivers on: the store, the image store (with its
 * root filesystems and disk images), and the network, opened when a runtime first asks for it
 * so that a node whose runtimes need none never touches the host's interfaces.
 */
final class NodeServices implements RuntimeContext {

    private final String nodeId;
    private final Store store;
    private final Optional<LocalImageStore> images;
    private final Optional<DaemonConfig.NetworksFactory> networkFactory;
    private final Path dataDir;
    private final PhaseTimings timings;
    private Networks networks;

    NodeServices(String nodeId, Store store, Optional<LocalImageStore> images,
            Optional<DaemonConfig.NetworksFactory> networkFactory, Path dataDir, PhaseTimings timings) {
        this.nodeId = nodeId;
        this.store = store;
        this.images = images;
        this.networkFactory = networkFactory;
        this.dataDir = dataDir;
        this.timings = timings;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public Store store() {
        return store;
    }

    @Override
    public ImageStore images() {
        return localImages();
    }

    @Override
    public RootFilesystems rootFilesystems() {
        return localImages().rootFilesystems();
    }

    @Override
    public DiskImages diskImages() {
        return localImages().diskImages();
    }

    private LocalImageStore localImages() {
        return images.orElseThrow(() -> new IllegalStateException("node " + nodeId + " has no image store"));
    }

    @Override
    public synchronized Networks networks() {
        if (networks == null) {
            networks = networkFactory.orElseThrow(() -> new IllegalStateException("node " + nodeId + " has no network"))
                    .open(store);
        }
        return networks;
    }

    @Override
    public Path dataDirectory() {
        return dataDir;
    }

    @Override
    public PhaseTimings timings() {
        return timings;
    }
}
