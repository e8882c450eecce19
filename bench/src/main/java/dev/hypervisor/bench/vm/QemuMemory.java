package dev.hypervisor.bench.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a QEMU process holds in host memory, from {@code /proc/<pid>/smaps}: its PSS in all,
 * and the PSS of its guest RAM, the one anonymous mapping of the guest's memory size (QEMU
 * maps it whole and the guest touches it page by page, so an idle guest's RAM is mostly not
 * resident).
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
