package dev.hypervisor.bench;

import dev.hypervisor.server.Hypervisord;
import dev.hypervisor.testkit.DaemonProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon under test: the real hypervisord command line with a {@link NoopDriver} for
 * containers, which the production daemon never registers; and how every benchmark starts a
 * daemon, this one or the production main class.
 */
public final class BenchDaemon {

    /** bin/hypervisord's heap and collector. */
    static final List<String> JVM_OPTIONS = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
            "-XX:+ExitOnOutOfMemoryError");

    private BenchDaemon() {}

    public static void main(String[] args) {
        System.exit(Hypervisord.run(args, config -> config.withRuntimes(List.of(new NoopDriver())).withoutImageStore()));
    }

    /**
     * Starts {@code mainClass} in its own JVM with bin/hypervisord's options, on a loopback port
     * it picks itself, without metrics, and {@code args}; returns once it serves.
     */
    public static DaemonProcess start(String name, String mainClass, List<String> args, Path log, Duration timeout) {
        List<String> jvm = new ArrayList<>(JVM_OPTIONS);
        // Extra JVM options for the daemon under test, e.g. a flight recording to profile it;
        // "{name}" becomes the daemon's name, so each daemon of a run can write its own file.
        String extra = System.getenv("HV_BENCH_DAEMON_OPTS");
        if (extra != null && !extra.isBlank()) {
            jvm.addAll(List.of(extra.trim().replace("{name}", name).split("\\s+")));
        }
        List<String> all = new ArrayList<>(List.of("--metrics-listen", "off"));
        all.addAll(args);
        return DaemonProcess.start(mainClass, jvm, all, log, timeout);
    }

    /** PullImage to its end, so that every create finds the image cached. */
    public static void pull(DaemonProcess daemon, String image, BenchRun run) {
        long start = System.nanoTime();
        daemon.pullImage(image, Duration.ofSeconds(120));
        run.progress("pulled %s into the daemon in %s", image, Report.seconds(System.nanoTime() - start));
    }
}
