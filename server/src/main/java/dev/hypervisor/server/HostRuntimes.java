package dev.hypervisor.server;

import dev.hypervisor.container.ContainerDriver;
import dev.hypervisor.container.ContainerOptions;
import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.host.HostLock;
import dev.hypervisor.images.ImageOptions;
import dev.hypervisor.images.LocalImageStore;
import dev.hypervisor.network.BridgeNetwork;
import dev.hypervisor.network.NetworkOptions;
import dev.hypervisor.vm.VmDriver;
import dev.hypervisor.vm.VmOptions;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real runtimes of this host, opened once on the daemon's store and shared: the image
 * store, the bridge network, and the drivers built on them. A runtime the host cannot run (a
 * missing binary, no root for namespaces) is left out with a warning, so its instance type is
 * refused with FAILED_PRECONDITION rather than faked.
 */
final class HostRuntimes {

    private static final Logger LOG = LoggerFactory.getLogger(HostRuntimes.class);

    private final Path dataDir;
    private final ImageOptions imageOptions;
    private final NetworkOptions networkOptions;
    private final ContainerOptions containerOptions;
    private final VmOptions vmOptions;
    private final String nodeId;
    private LocalImageStore images;
    private BridgeNetwork network;
    private HostLock bridgeLock;

    HostRuntimes(Path dataDir, String nodeId, ImageOptions imageOptions, NetworkOptions networkOptions,
            ContainerOptions containerOptions, VmOptions vmOptions) {
        this.vmOptions = vmOptions;
        this.dataDir = dataDir;
        this.nodeId = nodeId;
        this.imageOptions = imageOptions;
        this.networkOptions = networkOptions;
        this.containerOptions = containerOptions;
    }

    synchronized LocalImageStore imageStore(Store store) {
        if (images == null) {
            images = LocalImageStore.open(dataDir.resolve("images"), store, imageOptions, nodeId);
        }
        return images;
    }

    synchronized Optional<Driver> containers(Store store, Optional<ImageStore> unused) {
        return open("containers", () -> {
            ContainerDriver.requireTools(containerOptions); // before the bridge is made for nothing
            LocalImageStore images = imageStore(store);
            return ContainerDriver.open(containerOptions, images, images.rootFilesystems(), network(store));
        });
    }

    synchronized Optional<Driver> vms(Store store, Optional<ImageStore> unused) {
        return open("VMs", () -> {
            VmDriver.requireTools(vmOptions);
            LocalImageStore images = imageStore(store);
            return VmDriver.open(vmOptions, images, images.diskImages(), network(store));
        });
    }

    synchronized Optional<Driver> microVms(Store store, Optional<ImageStore> unused) {
        return open("microVMs", () -> {
            VmDriver.requireMicroVmTools(vmOptions);
            LocalImageStore images = imageStore(store);
            return VmDriver.openMicroVms(vmOptions.withRoot(dataDir.resolve("microvms")), images,
                    images.rootFilesystems(), network(store));
        });
    }

    private static Optional<Driver> open(String what, java.util.function.Supplier<Driver> opener) {
        try {
            return Optional.of(opener.get());
        } catch (HostLock.Held e) {
            throw e; // another daemon's bridge: not a runtime this host lacks, a daemon that must not start
        } catch (RuntimeException e) {
            LOG.warn("{} are unavailable: {}", what, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The bridge network, opened once. The bridge and the addresses its IPAM hands out belong
     * to this daemon alone: it is locked (a second daemon on it is refused) and no other
     * interface may hold its subnet.
     */
    private BridgeNetwork network(Store store) {
        if (network == null) {
            bridgeLock = HostLock.acquire(Path.of("/run/hypervisord", "bridge-" + networkOptions.bridgeName() + ".lock"),
                    "bridge " + networkOptions.bridgeName());
            try {
                BridgeNetwork.requireSubnetFree(networkOptions);
            } catch (IllegalStateException e) {
                bridgeLock.close();
                throw new HostLock.Held(e.getMessage());
            }
            network = BridgeNetwork.open(store, networkOptions);
        }
        return network;
    }
}
