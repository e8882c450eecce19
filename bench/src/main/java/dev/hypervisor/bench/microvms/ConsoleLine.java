package dev.hypervisor.bench.microvms;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/** Follows a serial console's log file for a line, as {@code tail -f}: both sides of a boot are timed by it. */
final class ConsoleLine {

    private static final long POLL_MILLIS = 5;

    private ConsoleLine() {}

    /** The nanoTime at which {@code marker} was first seen in {@code log}, or -1 if not before {@code deadline} (nanoTime). */
    static long await(Path log, String marker, long deadline) throws IOException, InterruptedException {
        return await(log, marker, deadline, () -> false);
    }

    /** As {@link #await(Path, String, long)}, giving up (-1) as soon as {@code gaveUp} is true, e.g. the guest died. */
    static long await(Path log, String marker, long deadline, BooleanSupplier gaveUp)
            throws IOException, InterruptedException {
        byte[] wanted = marker.getBytes(StandardCharsets.US_ASCII);
        StringBuilder tail = new StringBuilder();
        long offset = 0;
        while (System.nanoTime() - deadline < 0) {
            if (Files.exists(log)) {
                try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
                    long length = file.length();
                    if (length > offset) {
                        byte[] chunk = new byte[(int) Math.min(length - offset, 1 << 20)];
                        file.seek(offset);
                        file.readFully(chunk);
                        offset += chunk.length;
                        tail.append(new String(chunk, StandardCharsets.ISO_8859_1));
                        if (tail.indexOf(marker) >= 0) {
                            return System.nanoTime();
                        }
                        // Keep only what could begin the marker across the next read.
                        tail.delete(0, Math.max(0, tail.length() - wanted.length));
                    }
                }
            }
            if (gaveUp.getAsBoolean()) {
                return -1;
            }
            Thread.sleep(POLL_MILLIS);
        }
        return -1;
    }

    /** The last {@code bytes} of the console, for a report of a boot that hung. */
    static String last(Path log, int bytes) {
        try {
            byte[] all = Files.readAllBytes(log);
            return new String(all, Math.max(0, all.length - bytes), Math.min(all.length, bytes), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no console log: " + e.getMessage() + ")";
        }
    }
}
