package dev.hypervisor.bench;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.ExitListener;
import dev.hypervisor.core.driver.Provisioned;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.runtime.RuntimeContext;
import dev.hypervisor.core.runtime.RuntimePlugin;
import dev.hypervisor.server.Hypervisord;
import dev.hypervisor.testkit.DaemonProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The control plane's daemon under test: the real hypervisord command line with a {@link NoopDriver} for containers;
 * and how every benchmark starts a daemon, this one or the production main class.
 */
public final class BenchDaemon {

    private BenchDaemon() {}

    public static void main(String[] args) {
        System.exit(Hypervisord.run(args, config -> config.withRuntimes(List.of(new NoopDriver())).withoutImageStore()));
    }

    /** Starts {@code mainClass} in a JVM with bin/hypervisord's options and {@code args} (no metrics unless they say); once it serves. */
    public static DaemonProcess start(String name, String mainClass, List<String> args, Path log, Duration timeout) {
        var jvm = new ArrayList<>(List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"));
        // Extra JVM options for the daemon under test, e.g. a flight recording to profile it;
        // "{name}" becomes the daemon's name, so each daemon of a run can write its own file.
        String extra = System.getenv("HV_BENCH_DAEMON_OPTS");
        if (extra != null && !extra.isBlank()) {
            jvm.addAll(List.of(extra.trim().replace("{name}", name).split("\\s+")));
        }
        List<String> all = new ArrayList<>(args.contains("--metrics-listen") ? List.of() : List.of("--metrics-listen", "off"));
        all.addAll(args);
        return DaemonProcess.start(mainClass, jvm, all, log, timeout);
    }

    /** Waits until the daemon is idle, so that what it still does cannot leak into what follows; warns if it is not. */
    public static void settle(DaemonProcess daemon, int seconds) throws InterruptedException {
        if (!daemon.awaitQuiet(Duration.ofSeconds(seconds))) {
            System.err.println("warning: the daemon was still busy after " + seconds + " s; what follows may be noisy");
        }
    }

    /** PullImage to its end, so that every create finds the image cached. */
    public static void pull(DaemonProcess daemon, String image, BenchRun run) {
        long start = System.nanoTime();
        daemon.pullImage(image, Duration.ofSeconds(120));
        run.progress("pulled %s into the daemon in %s", image, Report.seconds(System.nanoTime() - start));
    }

    /** A container runtime that does nothing and returns at once, so that only the control plane is measured. */
    static final class NoopDriver implements Driver, RuntimePlugin {

        @Override
        public InstanceType type() {
            return InstanceType.CONTAINER;
        }

        @Override
        public String name() {
            return "noop";
        }

        @Override
        public Optional<String> unavailable() {
            return Optional.empty();
        }

        @Override
        public Duration stopTimeout() {
            return Duration.ofSeconds(10);
        }

        @Override
        public InstanceSpec admit(InstanceSpec spec, Metadata metadata) {
            return spec;
        }

        @Override
        public Driver open(RuntimeContext context) {
            return this;
        }

        @Override
        public Provisioned prepare(Instance instance) {
            return Provisioned.NOTHING;
        }

        @Override
        public void start(Instance instance) {}

        @Override
        public void stop(Instance instance, Duration timeout) {}

        @Override
        public void kill(Instance instance) {}

        @Override
        public void destroy(Instance instance) {}

        @Override
        public RuntimeStatus recover(Instance instance) {
            return RuntimeStatus.RUNNING;
        }

        @Override
        public RuntimeStatus inspect(Instance instance) {
            return RuntimeStatus.RUNNING;
        }

        @Override
        public void setExitListener(ExitListener listener) {} // nothing ever exits on its own
    }
}
