package dev.hypervisor.bench.vm;

import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Figure 2: host memory of one idle VM beyond its memory_bytes: the PSS of its QEMU once the
 * guest has booted and sat idle, minus the guest RAM, beside the same for the QEMU started
 * directly. Both ways of "minus the guest RAM" are printed: minus memory_bytes (negative
 * while the guest has not touched all its RAM) and minus the guest RAM actually resident.
 */
final class VmMemoryFigure {

    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration IDLE = Duration.ofSeconds(3);

    private final ApiVms api;
    private final DirectQemu direct;
    private final Path vmsRoot;
    private final long memoryBytes;
    private final String marker;
    private final Consumer<String> progress;

    VmMemoryFigure(ApiVms api, DirectQemu direct, Path vmsRoot, long memoryBytes, String marker,
            Consumer<String> progress) {
        this.api = api;
        this.direct = direct;
        this.vmsRoot = vmsRoot;
        this.memoryBytes = memoryBytes;
        this.marker = marker;
        this.progress = progress;
    }

    void run(int samples, Report report) throws Exception {
        Percentiles oursOwn = new Percentiles(samples);
        Percentiles rawOwn = new Percentiles(samples);
        Percentiles oursPss = new Percentiles(samples);
        Percentiles rawPss = new Percentiles(samples);
        Percentiles oursGuest = new Percentiles(samples);
        Percentiles rawGuest = new Percentiles(samples);
        for (int i = 0; i < samples; i++) {
            ApiVms.Boot boot = api.createAndBoot("idle-" + i, BOOT_TIMEOUT);
            try {
                Thread.sleep(IDLE.toMillis());
                long pid = Long.parseLong(Files.readString(vmsRoot.resolve(boot.id()).resolve("run")).strip());
                QemuMemory m = QemuMemory.of(pid, memoryBytes);
                oursOwn.add(m.ownBytes());
                oursPss.add(m.pssBytes());
                oursGuest.add(m.guestRamPssBytes());
            } finally {
                api.deleteAll(List.of(boot.id()), BOOT_TIMEOUT);
            }
            direct.boot(marker, BOOT_TIMEOUT);
            try {
                Thread.sleep(IDLE.toMillis());
                QemuMemory m = QemuMemory.of(direct.pid(), memoryBytes);
                rawOwn.add(m.ownBytes());
                rawPss.add(m.pssBytes());
                rawGuest.add(m.guestRamPssBytes());
            } finally {
                direct.kill();
            }
            progress.accept(String.format(Locale.ROOT, "figure 2: %d of %d samples", i + 1, samples));
        }
        String figure = "2 idle VM: QEMU PSS beyond the guest RAM resident";
        Report.percentile(figure, "ours", oursOwn, 50);
        Report.percentile(figure, "baseline", rawOwn, 50);
        report.add(new Report.Row(figure, Report.mebibytes(oursOwn.p50()),
                Report.mebibytes(rawOwn.p50()), (double) oursOwn.p50() / rawOwn.p50(), Report.PRINTED, true));
        long oursBeyond = oursPss.p50() - memoryBytes;
        long rawBeyond = rawPss.p50() - memoryBytes;
        report.add(new Report.Row("2 idle VM: QEMU PSS minus memory_bytes (" + Report.mebibytes(memoryBytes) + ")",
                Report.mebibytes(oursBeyond), Report.mebibytes(rawBeyond), Double.NaN, Report.PRINTED, true));
        report.note("figure 2: median of %d idle VM(s) per side, read %d s after %s: QEMU PSS ours %s, baseline %s;"
                + " of it guest RAM resident ours %s, baseline %s (of %s the guest may touch).", samples,
                IDLE.toSeconds(), marker, Report.mebibytes(oursPss.p50()), Report.mebibytes(rawPss.p50()),
                Report.mebibytes(oursGuest.p50()), Report.mebibytes(rawGuest.p50()), Report.mebibytes(memoryBytes));
    }
}
