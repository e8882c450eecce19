package dev.hypervisor.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The whole machine's busy CPU time from /proc/stat, to show when a figure is bound by the cores. */
public final class HostCpu {

    private static final double TICKS_PER_SECOND = 100.0; // USER_HZ

    private HostCpu() {}

    /** CPU-seconds all cores spent busy (user, nice, system, irq, softirq, steal) since boot. */
    public static double busySeconds() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                busy += Long.parseLong(f[i]);
            }
            return busy / TICKS_PER_SECOND;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
