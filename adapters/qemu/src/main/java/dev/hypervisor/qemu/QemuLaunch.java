package dev.hypervisor.qemu;

import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.host.Deadline;
import dev.hypervisor.host.Executables;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a QEMU that outlives the daemon without {@code -daemonize} (which the sandbox's
 * {@code spawn=deny} forbids, see {@link QemuSandbox}), as conmon outlives it for containers:
 * a shell starts it in the background in a session of its own ({@code setsid}, so no signal to
 * the daemon's process group or terminal reaches it), reading {@code /dev/null} and appending
 * its output to its log (so it holds no pipe of the daemon's), and exits at once, leaving it to
 * init; it is no descendant of the daemon. A background job of a non-interactive shell is no
 * process group leader, so {@code setsid} makes the session in place and execs: the pid the
 * shell reports is QEMU's.
 *
 * <p>What {@code -daemonize} gave besides, returning once the machine is set up, is a wait here:
 * until QEMU runs as its {@code -runas} user. Dropping to it is the last step of QEMU's set-up,
 * after every device, disk, TAP and socket is open, right before its main loop (where
 * {@code -daemonize} let its parent return too). A QEMU that exits first is reported with the
 * reason its log gives. Waiting for a QMP answer instead was not enough: some starts in the
 * first test runs hung on a greeting that never came, or found QEMU gone after it answered.
 */
public final class QemuLaunch {

    private static final Duration POLL = Duration.ofMillis(20);
    private static final String BACKGROUND = "log=$1; shift; \"$@\" </dev/null >>\"$log\" 2>&1 & echo $!";

    private QemuLaunch() {}

    /**
     * Starts {@code command} (QEMU, or a wrapper that execs it, with {@link QemuSandbox}'s
     * options) of the VM whose sockets are in {@code dirs}, its output appended to {@code log},
     * and returns QEMU's pid once it is set up. DriverException with the reason from the log
     * when it exits first or is not set up within {@code timeout} (it is killed then).
     */
    public static long start(List<String> command, Path log, VmDirs dirs, Duration timeout) throws IOException {
        int uid = QemuSandbox.user().uid();
        List<String> line = new ArrayList<>(List.of("/bin/sh", "-c", BACKGROUND, "sh", log.toString(),
                Executables.findOr("setsid", Path.of("/usr/bin/setsid")).toString()));
        line.addAll(command);
        long pid;
        try {
            pid = Long.parseLong(HostCommand.of(line).timeout(Duration.ofSeconds(10)).output().strip());
        } catch (NumberFormatException e) {
            throw new IOException("the shell starting QEMU reported no pid: " + e.getMessage(), e);
        }
        boolean settled = Deadline.after(timeout).await(() -> !running(pid) || setUp(pid, uid, dirs), POLL);
        if (!running(pid)) {
            throw new DriverException("QEMU failed to start: " + QemuProcesses.deathReason(log));
        }
        if (!settled) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            throw new DriverException("QEMU was not set up within " + timeout.toSeconds() + " s of starting: killed");
        }
        return pid;
    }

    /**
     * Whether the process is there and no zombie. Not {@link QemuProcesses#alive}: while the
     * launch execs (shell, setsid, QEMU) a command line reads empty for a moment.
     */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | IndexOutOfBoundsException e) {
            return false;
        }
    }

    /** Whether the process is this VM's QEMU and has dropped to the user (real, effective, saved and filesystem uid). */
    private static boolean setUp(long pid, int uid, VmDirs dirs) {
        try {
            String expected = "Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid;
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).contains(expected)
                    && QemuProcesses.alive(pid, dirs);
        } catch (IOException e) {
            return false;
        }
    }
}
