package dev.hypervisor.container;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tail of a container's console as conmon logs it (the CRI "k8s-file" format: one record
 * per line, {@code TIMESTAMP STREAM P|F CONTENT}, where {@code P} marks a partial line and
 * {@code F} a full one whose newline was cut off). The log outlives the daemon, so a viewer who
 * attaches after a restart still sees what the container printed.
 */
final class ConsoleLog {

    /** conmon rotates the log beyond this size; replay needs far less. */
    static final long MAX_BYTES = 8L * 1024 * 1024;
    /** How much output a new viewer is shown first. */
    static final int REPLAY_BYTES = 64 * 1024;

    private ConsoleLog() {}

    /** The last {@code REPLAY_BYTES} bytes of console output (fewer if less was printed). */
    static byte[] tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return new byte[0];
        }
        byte[] raw;
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            // Records carry ~40 bytes of framing each; read enough to fill the replay after stripping it.
            long start = Math.max(0, file.length() - 4L * REPLAY_BYTES);
            file.seek(start);
            raw = new byte[(int) (file.length() - start)];
            file.readFully(raw);
            if (start > 0) {
                int firstNewline = indexOf(raw, (byte) '\n', 0);
                raw = firstNewline < 0 ? new byte[0] : java.util.Arrays.copyOfRange(raw, firstNewline + 1, raw.length);
            }
        }
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        int at = 0;
        while (at < raw.length) {
            int end = indexOf(raw, (byte) '\n', at);
            if (end < 0) {
                break; // a record still being written
            }
            appendRecord(raw, at, end, content);
            at = end + 1;
        }
        byte[] all = content.toByteArray();
        return all.length <= REPLAY_BYTES ? all : java.util.Arrays.copyOfRange(all, all.length - REPLAY_BYTES, all.length);
    }

    private static void appendRecord(byte[] raw, int from, int to, ByteArrayOutputStream out) {
        // TIMESTAMP SP STREAM SP TAG SP CONTENT
        int space1 = indexOf(raw, (byte) ' ', from);
        int space2 = space1 < 0 ? -1 : indexOf(raw, (byte) ' ', space1 + 1);
        int space3 = space2 < 0 ? -1 : indexOf(raw, (byte) ' ', space2 + 1);
        if (space3 < 0 || space3 > to) {
            return;
        }
        String tag = new String(raw, space2 + 1, space3 - space2 - 1, StandardCharsets.US_ASCII);
        out.write(raw, space3 + 1, to - space3 - 1);
        if (tag.startsWith("F")) {
            out.write('\n');
        }
    }

    private static int indexOf(byte[] bytes, byte value, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
