package dev.hypervisor.server;

import dev.hypervisor.core.image.Images;
import dev.hypervisor.core.usecase.ChangeInstance;
import dev.hypervisor.core.usecase.CreateInstance;
import dev.hypervisor.core.usecase.InstanceQueries;
import dev.hypervisor.core.usecase.RuntimeAccess;
import dev.hypervisor.core.watch.Watches;
import java.util.concurrent.ExecutorService;

/** The core's use cases the gRPC layer calls, wired once by {@link Daemon}. */
record UseCases(
        CreateInstance create,
        ChangeInstance change,
        InstanceQueries queries,
        Watches watches,
        RuntimeAccess runtime,
        Images images,
        ExecutorService background) {}
