package dev.hypervisor.qemu;

import dev.hypervisor.core.driver.RuntimeStatus;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the files of a VM say about its QEMU: the pid it runs as (checked against
 * {@code /proc}, so a recycled pid or a zombie is not taken for it), how its last run ended,
 * and the tail of its log. QEMU runs detached ({@link QemuLaunch}), no child of the daemon: these
 * files are how a restarted daemon finds it again.
 */
public final class QemuProcesses {

    private QemuProcesses() {}

    /** The pid of the VM's QEMU if it is alive. */
    public static Optional<Long> livePid(VmDirs dirs) {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(dirs.runFile()).strip());
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return alive(pid, dirs) ? Optional.of(pid) : Optional.empty();
    }

    /** Alive and ours: its command line names this VM's QMP socket. A zombie's command line is empty. */
    public static boolean alive(long pid, VmDirs dirs) {
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(cmdline, StandardCharsets.UTF_8).contains(dirs.qmpSocket().toString());
        } catch (IOException e) {
            return false;
        }
    }

    public static boolean everStarted(VmDirs dirs) {
        return Files.exists(dirs.runFile());
    }

    public static void recordStart(VmDirs dirs, long pid) throws IOException {
        write(dirs.runFile(), Long.toString(pid));
    }

    /** The recorded end of the last run, if the driver saw it. */
    public static Optional<RuntimeStatus> recordedExit(VmDirs dirs) {
        String text;
        try {
            text = Files.readString(dirs.exitFile(), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
        int space = text.indexOf(' ');
        try {
            int code = Integer.parseInt(space < 0 ? text.strip() : text.substring(0, space));
            return Optional.of(RuntimeStatus.exited(code, space < 0 ? "" : text.substring(space + 1)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Records how the run ended unless that is already recorded; returns what is recorded. */
    public static synchronized RuntimeStatus recordExitIfAbsent(VmDirs dirs, RuntimeStatus status) {
        Optional<RuntimeStatus> earlier = recordedExit(dirs);
        if (earlier.isPresent()) {
            return earlier.get();
        }
        try {
            write(dirs.exitFile(), status.exitCode() + " " + status.reason());
        } catch (IOException e) {
            // the status is still reported; only a later recover loses it
        }
        return status;
    }

    /** Appended to QEMU's log before each start, so that a death is explained from this run's lines only. */
    public static final String START_MARK = "hypervisord: starting QEMU";

    public static void markStart(VmDirs dirs) throws IOException {
        Files.writeString(dirs.qemuLog(), START_MARK + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    /** Why QEMU died, as it said in its log this run: the last non-empty line, else a plain statement. */
    public static String deathReason(VmDirs dirs) {
        return deathReason(dirs.qemuLog());
    }

    /** The same from a log of QEMU's output elsewhere. */
    public static String deathReason(Path log) {
        String tail = logTail(log, 2048);
        int mark = tail.lastIndexOf(START_MARK);
        tail = (mark < 0 ? tail : tail.substring(mark + START_MARK.length())).strip();
        String last = tail.isEmpty() ? "" : tail.substring(tail.lastIndexOf('\n') + 1).strip();
        return last.isEmpty() ? "QEMU exited without a shutdown (killed?)" : "QEMU exited: " + last;
    }

    public static String logTail(Path log, int bytes) {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(0, file.length() - bytes);
            byte[] tail = new byte[(int) (file.length() - start)];
            file.seek(start);
            file.readFully(tail);
            return new String(tail, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static void write(Path file, String content) throws IOException {
        dev.hypervisor.host.AtomicFiles.write(file, content);
    }
}
