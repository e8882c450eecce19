package dev.hypervisor.core.runtime;

import dev.hypervisor.core.image.DiskImages;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.image.RootFilesystems;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.store.Store;
import java.nio.file.Path;

/**
 * What a runtime's driver is opened on: the node's shared services. Each is opened on first
 * use, so a runtime that needs no network never makes the node's bridge; a service the node
 * cannot offer fails with IllegalStateException saying why, which leaves that runtime unavailable.
 */
public interface RuntimeContext {

    String nodeId();

    /** The daemon's revisioned store. */
    Store store();

    ImageStore images();

    /** Writable root filesystems over container images. */
    RootFilesystems rootFilesystems();

    /** The base disks of disk images. */
    DiskImages diskImages();

    /** The node's networks (its bridge and IPAM). */
    Networks networks();

    /** The daemon's data directory; a runtime keeps its files in a directory of its own under it. */
    Path dataDirectory();

    /** Where the driver reports how long the phases of its steps take. */
    default PhaseTimings timings() {
        return PhaseTimings.NONE;
    }
}
