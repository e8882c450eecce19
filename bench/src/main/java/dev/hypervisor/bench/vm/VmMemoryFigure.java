package dev.hypervisor.bench.vm;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Figure 2 (bench/README.md, VMs): an idle VM's QEMU memory beside the directly started QEMU's. */
record VmMemoryFigure(BenchRun run, VmBoots boots, long memoryBytes, String marker) {

    private static final Duration IDLE = Duration.ofSeconds(3);

    void measure(int samples) throws Exception {
        Percentiles oursOwn = new Percentiles(samples);
        Percentiles rawOwn = new Percentiles(samples);
        Percentiles oursPss = new Percentiles(samples);
        Percentiles rawPss = new Percentiles(samples);
        Percentiles oursGuest = new Percentiles(samples);
        Percentiles rawGuest = new Percentiles(samples);
        for (int i = 0; i < samples; i++) {
            VmBoots.Boot boot = boots.ours("idle-" + i, Duration.ofSeconds(120));
            try {
                idle(boot.pid(), oursOwn, oursPss, oursGuest);
            } finally {
                boots.delete(boot);
            }
            try {
                idle(boots.direct().pid(), rawOwn, rawPss, rawGuest);
            } finally {
                boots.killDirect();
            }
            run.progress("figure 2: %d of %d samples", i + 1, samples);
        }
        String figure = "2 idle VM: QEMU PSS beyond the guest RAM resident";
        long own = Report.percentile(figure, "ours", oursOwn, 50);
        long rawOwnP50 = Report.percentile(figure, "baseline", rawOwn, 50);
        run.report().add(new Report.Row(figure, Report.mebibytes(own), Report.mebibytes(rawOwnP50),
                (double) own / rawOwnP50, Report.PRINTED, true));
        run.report().add(new Report.Row("2 idle VM: QEMU PSS minus memory_bytes (" + Report.mebibytes(memoryBytes) + ")",
                Report.mebibytes(oursPss.p50() - memoryBytes), Report.mebibytes(rawPss.p50() - memoryBytes), Double.NaN,
                Report.PRINTED, true));
        run.report().note("figure 2: median of %d idle VM(s) per side, read %d s after %s: QEMU PSS ours %s, baseline %s;"
                + " of it guest RAM resident ours %s, baseline %s (of %s the guest may touch).", samples,
                IDLE.toSeconds(), marker, Report.mebibytes(oursPss.p50()), Report.mebibytes(rawPss.p50()),
                Report.mebibytes(oursGuest.p50()), Report.mebibytes(rawGuest.p50()), Report.mebibytes(memoryBytes));
    }

    /** Lets QEMU {@code pid}'s guest idle, then adds what QEMU holds to the samples. */
    private void idle(long pid, Percentiles own, Percentiles pss, Percentiles guest) throws Exception {
        Thread.sleep(IDLE.toMillis());
        QemuMemory m = QemuMemory.of(pid, memoryBytes);
        own.add(m.ownBytes());
        pss.add(m.pssBytes());
        guest.add(m.guestRamPssBytes());
    }

    /**
     * What a QEMU process holds in host memory, from {@code /proc/<pid>/smaps}: its PSS in all, and the PSS of its
     * guest RAM, the one anonymous mapping of the guest's memory size (QEMU maps it whole and the guest touches it
     * page by page, so an idle guest's RAM is mostly not resident).
     */
    record QemuMemory(long pssBytes, long guestRamPssBytes) {

        /** Headroom QEMU may add to the guest RAM mapping (alignment, guard page). */
        private static final long SLACK = 4L << 20;

        /** What QEMU itself holds: everything but the guest's RAM. */
        long ownBytes() {
            return pssBytes - guestRamPssBytes;
        }

        static QemuMemory of(long pid, long memoryBytes) throws IOException {
            long total = 0;
            long guest = 0;
            long size = 0;
            boolean anonymous = false;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"))) {
                if (Character.isDigit(line.charAt(0)) || (line.charAt(0) >= 'a' && line.charAt(0) <= 'f')) {
                    String[] fields = line.trim().split("\\s+");
                    anonymous = fields.length < 6; // no path: anonymous memory
                    size = 0;
                } else if (line.startsWith("Size:")) {
                    size = kib(line) * 1024;
                } else if (line.startsWith("Pss:")) {
                    long pss = kib(line) * 1024;
                    total += pss;
                    if (anonymous && size >= memoryBytes && size <= memoryBytes + SLACK) {
                        guest = Math.max(guest, pss);
                    }
                }
            }
            if (total == 0) {
                throw new IOException("no Pss in /proc/" + pid + "/smaps");
            }
            return new QemuMemory(total, guest);
        }

        private static long kib(String line) {
            return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
    }
}
