package dev.hypervisor.core.image;

import dev.hypervisor.core.error.DomainException;
import java.util.Optional;

/** Routes image calls to this node's image store, or refuses them honestly when it has none. */
public final class Images {

    private final Optional<ImageStore> store;
    private final String nodeId;

    public Images(Optional<ImageStore> store, String nodeId) {
        this.store = store;
        this.nodeId = nodeId;
    }

    public ImageStore require() {
        return store.orElseThrow(() -> DomainException.failedPrecondition(
                "no image store on node " + nodeId + ": image pulls are not available on this node yet"));
    }
}
