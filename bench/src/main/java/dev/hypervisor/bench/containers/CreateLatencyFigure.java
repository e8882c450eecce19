package dev.hypervisor.bench.containers;

import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Figure 1: create-to-RUNNING latency of one container from a cached image, as a WatchInstance
 * client sees it, against {@code runc create} + {@code runc start} of a prepared bundle and
 * against {@code podman run -d}; beside them the floor, conmon + runc create + runc start with no
 * daemon ({@link RuncBundle#conmonCreateAndStart}). The sides alternate sample by sample, the first side rotating,
 * so that load from other processes falls on all of them; nothing runs between samples but the
 * (untimed) removal of the sample's container.
 */
final class CreateLatencyFigure {

    private static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(60);

    private final ApiContainers api;
    private final RuncBundle runc;
    private final Optional<PodmanBaseline> podman;
    private final String podmanUnavailable;
    private final Consumer<String> progress;

    CreateLatencyFigure(ApiContainers api, RuncBundle runc, Optional<PodmanBaseline> podman, String podmanUnavailable,
            Consumer<String> progress) {
        this.api = api;
        this.runc = runc;
        this.podman = podman;
        this.podmanUnavailable = podmanUnavailable;
        this.progress = progress;
    }

    /** The first creates, printed on their own: the daemon's create path still runs mostly interpreted. */
    private static final int COLD = 20;

    void run(int warmUp, int samples, Report report) {
        Percentiles ours = new Percentiles(samples);
        Percentiles raw = new Percentiles(samples);
        Percentiles pod = new Percentiles(samples);
        Percentiles floor = new Percentiles(samples);
        Percentiles acknowledged = new Percentiles(samples);
        Percentiles toStarting = new Percentiles(samples);
        Percentiles toRunning = new Percentiles(samples);
        Percentiles coldOurs = new Percentiles(Math.max(1, Math.min(warmUp, COLD)));
        int sides = podman.isPresent() ? 4 : 3;
        for (int i = 0; i < warmUp + samples; i++) {
            boolean measured = i >= warmUp;
            for (int k = 0; k < sides; k++) {
                switch ((i + k) % sides) {
                    case 0 -> {
                        ApiContainers.Timeline t = api.createAndAwaitRunning("lat-" + i, i, RUNNING_TIMEOUT);
                        api.deleteAll(List.of(t.id()), RUNNING_TIMEOUT);
                        if (i < COLD && i < warmUp) {
                            coldOurs.add(t.createToRunning());
                        }
                        if (measured) {
                            ours.add(t.createToRunning());
                            acknowledged.add(t.acknowledged() - t.sent());
                            toStarting.add(t.starting() - t.sent());
                            toRunning.add(t.running() - t.starting());
                        }
                    }
                    case 1 -> timeRunc("hvbench-lat-" + i, runc::createAndStart, measured ? raw : null);
                    case 2 -> timeRunc("hvbench-floor-" + i, runc::conmonCreateAndStart, measured ? floor : null);
                    default -> {
                        String name = "hvbench-lat-" + i;
                        long nanos = podman.get().run(name);
                        podman.get().remove(name);
                        if (measured) {
                            pod.add(nanos);
                        }
                    }
                }
            }
            if (measured && (i - warmUp + 1) % 10 == 0) {
                progress.accept(String.format(Locale.ROOT, "figure 1: %d of %d samples; p50 so far: ours %s, runc %s",
                        i - warmUp + 1, samples, Report.millis(ours.p50()), Report.millis(raw.p50())));
            }
        }
        report.latency("1 create->RUNNING p50 vs runc create+start", ours.p50(), raw.p50(), 2.0);
        report.latency("1 create->RUNNING p99 vs runc create+start", ours.p99(), raw.p99(), 3.0);
        if (coldOurs.count() > 0) {
            report.add(new Report.Row("1 create->RUNNING p50 of the first " + coldOurs.count()
                    + " creates (JIT cold) vs runc create+start", Report.millis(coldOurs.p50()),
                    Report.millis(raw.p50()), (double) coldOurs.p50() / raw.p50(), Report.PRINTED, true));
        }
        report.add(new Report.Row("1 floor: conmon + runc create + runc start p50 vs runc create+start",
                Report.millis(floor.p50()), Report.millis(raw.p50()), (double) floor.p50() / raw.p50(), Report.PRINTED,
                true));
        if (podman.isPresent()) {
            double ratio = (double) ours.p50() / pod.p50();
            report.add(new Report.Row("1 create->RUNNING p50 vs podman run -d", Report.millis(ours.p50()),
                    Report.millis(pod.p50()), ratio, "< 1.00x", ratio < 1.0));
        } else {
            report.add(new Report.Row("1 create->RUNNING p50 vs podman run -d", Report.millis(ours.p50()), "n/a",
                    Double.NaN, "< 1.00x", true));
            report.note("figure 1: podman row n/a: %s", podmanUnavailable);
        }
        report.note("figure 1: %d samples per side after %d warm-up; p99 is the nearest-rank p99 (of %d samples, the %s).",
                samples, warmUp, samples, samples < 100 ? "maximum" : "99th");
        report.note("figure 1: ours, p50 of each step as the client saw it: CreateInstance acknowledged %s;"
                + " sent->STARTING event %s (the CREATING step: image acquire, rootfs snapshot, netns, config);"
                + " STARTING->RUNNING event %s (the STARTING step: conmon + runc create, runc start).",
                Report.millis(acknowledged.p50()), Report.millis(toStarting.p50()), Report.millis(toRunning.p50()));
        report.note("figure 1: per side min / p50 / max: ours %s; runc %s; conmon + runc %s%s.", spread(ours),
                spread(raw), spread(floor), podman.isPresent() ? "; podman " + spread(pod) : "");
        report.note("figure 1: the floor row is conmon started as the driver starts it, then runc start, with no"
                + " daemon, store, overlay or network: the part of our path that the issue prescribes.");
    }

    /** Starts container {@code id} with {@code start}, records its time in {@code into} (unless null), deletes it. */
    private void timeRunc(String id, java.util.function.ToLongFunction<String> start, Percentiles into) {
        long nanos = start.applyAsLong(id);
        runc.delete(id);
        if (into != null) {
            into.add(nanos);
        }
    }

    private static String spread(Percentiles p) {
        return String.format(Locale.ROOT, "%.0f / %.0f / %.0f ms", p.percentile(0.001) / 1e6, p.p50() / 1e6,
                p.percentile(100) / 1e6);
    }
}
