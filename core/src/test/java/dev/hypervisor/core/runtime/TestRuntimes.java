package dev.hypervisor.core.runtime;

import dev.hypervisor.core.image.DiskImages;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.image.RootFilesystems;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.store.Store;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Registries of runtimes that need none of the node's services (test doubles), for core tests. */
public final class TestRuntimes {

    private TestRuntimes() {}

    /** The plugins opened on a context that offers nothing; each type's first plugin is its default. */
    public static RuntimeRegistry registry(String nodeId, List<? extends RuntimePlugin> plugins) {
        return RuntimeRegistry.open(nodeId, plugins, Map.of(), noServices(nodeId));
    }

    /** A context whose every service is missing, as for runtimes that use none. */
    public static RuntimeContext noServices(String nodeId) {
        return new RuntimeContext() {
            @Override
            public String nodeId() {
                return nodeId;
            }

            @Override
            public Store store() {
                throw new IllegalStateException("no store in this test");
            }

            @Override
            public ImageStore images() {
                throw new IllegalStateException("no image store in this test");
            }

            @Override
            public RootFilesystems rootFilesystems() {
                throw new IllegalStateException("no root filesystems in this test");
            }

            @Override
            public DiskImages diskImages() {
                throw new IllegalStateException("no disk images in this test");
            }

            @Override
            public Networks networks() {
                throw new IllegalStateException("no networks in this test");
            }

            @Override
            public Path dataDirectory() {
                throw new IllegalStateException("no data directory in this test");
            }
        };
    }
}
