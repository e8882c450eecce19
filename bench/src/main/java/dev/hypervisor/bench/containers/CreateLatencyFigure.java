package dev.hypervisor.bench.containers;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.Rotation;
import dev.hypervisor.bench.TimedInstances;
import java.time.Duration;
import java.util.Optional;

/**
 * Figure 1 (bench/README.md, Containers): create-to-RUNNING of one container against runc create + start, podman
 * run -d and the conmon floor; only the (untimed) removal of a sample's container runs between samples.
 */
record CreateLatencyFigure(BenchRun run, TimedInstances api, String image, RuncBundle runc,
        Optional<PodmanBaseline> podman, String podmanUnavailable) {

    private static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(60);

    /** The first creates, printed on their own: the daemon's create path still runs mostly interpreted. */
    private static final int COLD = 20;

    void measure(int warmUp, int samples) throws Exception {
        Report report = run.report();
        Percentiles toAcknowledged = new Percentiles(samples);
        Percentiles toStarting = new Percentiles(samples);
        Percentiles toRunning = new Percentiles(samples);
        Percentiles coldOurs = new Percentiles(Math.max(1, Math.min(warmUp, COLD)));
        Rotation rotation = new Rotation();
        Percentiles ours = rotation.side((i, measured) -> {
            long sent = System.nanoTime();
            String id = api.create(ContainersBench.container("lat-" + i, image, "sleep", "100000"));
            long acknowledged = System.nanoTime();
            long running = api.awaitRunning(id, RUNNING_TIMEOUT);
            long starting = api.startingOr(id, running);
            api.delete(id, RUNNING_TIMEOUT);
            if (measured) {
                toAcknowledged.add(acknowledged - sent);
                toStarting.add(starting - sent);
                toRunning.add(running - starting);
            } else if (i < COLD) {
                coldOurs.add(running - sent);
            }
            return running - sent;
        });
        Percentiles raw = rotation.side((i, measured) -> timeRunc("hvbench-lat-" + i, runc::createAndStart));
        Percentiles floor = rotation.side((i, measured) -> timeRunc("hvbench-floor-" + i, runc::conmonCreateAndStart));
        Percentiles pod = podman.isEmpty() ? new Percentiles() : rotation.side((i, measured) -> {
            long nanos = podman.get().run("hvbench-lat-" + i);
            podman.get().remove("hvbench-lat-" + i);
            return nanos;
        });
        rotation.run(warmUp, samples, (n, values) -> {
            if (n % 10 == 0) {
                run.progress("figure 1: %d of %d samples; p50 so far: ours %s, runc %s", n, samples,
                        Report.millis(ours.p50()), Report.millis(raw.p50()));
            }
        });
        report.latency("1 create->RUNNING p50 vs runc create+start", ours, raw, 50, 2.0);
        report.latency("1 create->RUNNING p99 vs runc create+start", ours, raw, 99, 3.0);
        if (coldOurs.count() > 0) {
            report.printed("1 create->RUNNING p50 of the first " + coldOurs.count()
                    + " creates (JIT cold) vs runc create+start", coldOurs.p50(), raw.p50());
        }
        String floorFigure = "1 floor: conmon + runc create + runc start p50 vs runc create+start";
        report.printed(floorFigure, Report.percentile(floorFigure, "ours", floor, 50), raw.p50());
        String podmanFigure = "1 create->RUNNING p50 vs podman run -d";
        if (podman.isPresent()) {
            long p50 = Report.percentile(podmanFigure, "baseline", pod, 50);
            report.latency(podmanFigure, ours.p50(), p50, "< 1.00x", ours.p50() < p50);
        } else {
            report.add(new Report.Row(podmanFigure, Report.millis(ours.p50()), "n/a", Double.NaN, "< 1.00x", true));
            report.note("figure 1: podman row n/a: %s", podmanUnavailable);
        }
        report.note("figure 1: %d samples per side after %d warm-up; p99 is the nearest-rank p99 (of %d samples, the %s).",
                samples, warmUp, samples, samples < 100 ? "maximum" : "99th");
        report.note("figure 1: ours, p50 of each step as the client saw it: CreateInstance acknowledged %s;"
                + " sent->STARTING event %s (the CREATING step: image acquire, rootfs snapshot, netns, config);"
                + " STARTING->RUNNING event %s (the STARTING step: conmon + runc create, runc start).",
                Report.millis(toAcknowledged.p50()), Report.millis(toStarting.p50()), Report.millis(toRunning.p50()));
        report.note("figure 1: per side min / p50 / max: ours %s; runc %s; conmon + runc %s%s.", ours.spread(),
                raw.spread(), floor.spread(), podman.isPresent() ? "; podman " + pod.spread() : "");
        report.note("figure 1: the floor row is conmon started as the driver starts it, then runc start, with no"
                + " daemon, store, overlay or network: the part of our path that the issue prescribes.");
    }

    private long timeRunc(String id, java.util.function.ToLongFunction<String> start) {
        long nanos = start.applyAsLong(id);
        runc.delete(id);
        return nanos;
    }
}
