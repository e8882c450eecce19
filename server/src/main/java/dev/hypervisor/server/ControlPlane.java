package dev.hypervisor.server;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.runtime.RuntimeRegistry;
import dev.hypervisor.images.LocalImageStore;
import java.util.List;
import java.util.Optional;
import dev.hypervisor.core.image.Images;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.reconcile.Reconciler;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.usecase.ChangeInstance;
import dev.hypervisor.core.usecase.CreateInstance;
import dev.hypervisor.core.usecase.CreateValidation;
import dev.hypervisor.core.usecase.InstanceIds;
import dev.hypervisor.core.usecase.InstanceQueries;
import dev.hypervisor.core.usecase.RequestLog;
import dev.hypervisor.core.usecase.RuntimeAccess;
import dev.hypervisor.core.watch.InstanceCensus;
import dev.hypervisor.core.watch.Watches;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The core wired onto a store: use cases, reconciler, watches and the census, started and stopped together. */
final class ControlPlane implements AutoCloseable {

    private final Store store;
    private final Reconciler reconciler;
    private final Watches watches;
    private final InstanceCensus census;
    private final UseCases useCases;
    private final RequestLog requests;
    private final Optional<ImageStore> images;
    private final List<Driver> opened;
    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "background");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "housekeeping");
        t.setDaemon(true);
        return t;
    });

    ControlPlane(Store store, DaemonConfig config, Clock clock, dev.hypervisor.core.usecase.Admission admission,
            dev.hypervisor.core.runtime.PhaseTimings timings) {
        this.store = store;
        InstanceRepository repository = new InstanceRepository(store);
        Optional<LocalImageStore> local = config.imageStore().map(factory -> factory.open(store));
        images = local.map(ImageStore.class::cast);
        RuntimeRegistry drivers = RuntimeRegistry.open(config.nodeId(), config.runtimes(), config.defaultRuntimes(),
                new NodeServices(config.nodeId(), store, local, config.networks(), config.dataDir(), timings));
        opened = List.copyOf(drivers.drivers());
        requests = new RequestLog(store, clock);
        watches = new Watches(repository, clock, config.serverLimits().watchQueueCapacity());
        census = new InstanceCensus(repository);
        // Steps mostly wait on runtimes (runc, conmon, ip, mount): enough of them run at once to
        // keep 50 concurrent creates moving, as 50 parallel runc runs would.
        reconciler = new Reconciler(repository, drivers, images, clock, config.relistInterval(), 64, config.retries());
        useCases = new UseCases(
                new CreateInstance(repository, requests, new CreateValidation(config.limits(), images), drivers,
                        new InstanceIds(), clock, admission),
                new ChangeInstance(repository, requests, clock),
                new InstanceQueries(repository),
                watches,
                new RuntimeAccess(repository, drivers),
                new Images(images, config.nodeId()),
                background);
    }

    void start() {
        reconciler.start();
        housekeeping.scheduleWithFixedDelay(this::sweep, 1, 60, TimeUnit.MINUTES);
    }

    private void sweep() {
        try {
            requests.sweep();
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(ControlPlane.class).warn("request log sweep failed: {}", e.toString());
        }
    }

    private static void closeQuietly(Object resource, String what) {
        if (resource instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(ControlPlane.class).warn("closing {}: {}", what, e.toString());
            }
        }
    }

    UseCases useCases() {
        return useCases;
    }

    InstanceCensus census() {
        return census;
    }

    Reconciler reconciler() {
        return reconciler;
    }

    Store store() {
        return store;
    }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        reconciler.close();
        watches.close();
        census.close();
        background.shutdownNow();
        opened.forEach(driver -> closeQuietly(driver, "the " + driver.type() + " runtime"));
        images.ifPresent(i -> closeQuietly(i, "the image store"));
        store.close();
    }
}
