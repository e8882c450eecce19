package dev.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hypervisor.core.driver.ConsoleOutput;
import dev.hypervisor.core.driver.ConsoleSession;
import dev.hypervisor.core.driver.RuntimeStatus;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's hold on one running QEMU: its QMP connection and its serial console.
 *
 * <p>How an exit is told apart: QEMU runs with {@code -no-shutdown}, so a guest that powers
 * off leaves QEMU paused in status {@code shutdown} and sends a {@code SHUTDOWN} event with
 * {@code guest: true}; that is recorded as exit 0 (STOPPED) and QEMU is then asked to quit.
 * A power-off while no daemon listened is found by {@code query-status} on re-attach. When the
 * QMP connection ends, QEMU is gone: if nothing was recorded and the driver was not stopping
 * it, it died (a signal, a crash, the OOM killer) and the exit is 1 with its log's last line.
 */
final class RunningVm implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunningVm.class);

    private final VmDirs dirs;
    private final long pid;
    private final Function<String, RuntimeStatus> poweredOff;
    private final BooleanSupplier halting;
    private final Consumer<RuntimeStatus> onExit;
    private final CountDownLatch gone = new CountDownLatch(1);
    private volatile boolean detached;
    private volatile Qmp qmp;
    private volatile SerialConsole console;

    private RunningVm(VmDirs dirs, long pid, Function<String, RuntimeStatus> poweredOff, BooleanSupplier halting,
            Consumer<RuntimeStatus> onExit) {
        this.dirs = dirs;
        this.pid = pid;
        this.poweredOff = poweredOff;
        this.halting = halting;
        this.onExit = onExit;
    }

    /**
     * Connects to the QEMU with this pid. {@code poweredOff} tells how a run ended whose guest
     * powered off (given QEMU's reason); {@code halting} says whether the driver is stopping it
     * (its exit is then no news); {@code onExit} is told the recorded exit once QEMU is gone
     * on its own.
     */
    static RunningVm attach(VmDirs dirs, long pid, Function<String, RuntimeStatus> poweredOff,
            BooleanSupplier halting, Consumer<RuntimeStatus> onExit) throws IOException {
        RunningVm vm = new RunningVm(dirs, pid, poweredOff, halting, onExit);
        vm.console = SerialConsole.connect(dirs);
        try {
            vm.qmp = Qmp.connect(dirs.qmpSocket(), dirs.id(), vm::onEvent, vm::onQmpClosed);
            if ("shutdown".equals(vm.qmp.execute("query-status").path("status").asText())) {
                vm.guestPoweredOff("guest-shutdown"); // while no daemon was listening
            }
        } catch (IOException e) {
            vm.console.close();
            throw e;
        }
        return vm;
    }

    long pid() {
        return pid;
    }

    ConsoleSession attachConsole(ConsoleOutput output) {
        return console.attach(output);
    }

    JsonNode execute(String command) throws IOException {
        return qmp.execute(command);
    }

    /** Presses the ACPI power button. */
    void powerdown() throws IOException {
        qmp.execute("system_powerdown");
    }

    /** Presses the reset button: the guest reboots, QEMU and its console, disks and TAP stay. */
    void reset() throws IOException {
        qmp.execute("system_reset");
    }

    /** Asks QEMU to exit at once; false when QMP no longer answers. */
    boolean quit() {
        try {
            qmp.execute("quit");
            return true;
        } catch (IOException e) {
            return qmp.closed(); // closed while quitting is what quit does
        }
    }

    /** Waits until the QMP connection has closed and the exit is recorded. */
    boolean awaitGone(long millis) throws InterruptedException {
        return gone.await(millis, TimeUnit.MILLISECONDS);
    }

    private void onEvent(JsonNode event) {
        String name = event.path("event").asText();
        JsonNode data = event.path("data");
        if (name.equals("SHUTDOWN") && data.path("guest").asBoolean(false)) {
            guestPoweredOff(data.path("reason").asText("guest-shutdown"));
        }
    }

    /** Records the guest's own power-off and ends QEMU (off this thread: the reply comes through it). */
    private void guestPoweredOff(String reason) {
        QemuProcesses.recordExitIfAbsent(dirs, poweredOff.apply(reason));
        LOG.info("VM {} powered off ({}); quitting its QEMU", dirs.id(), reason);
        Thread quitter = new Thread(this::quit, "quit-" + dirs.id());
        quitter.setDaemon(true);
        quitter.start();
    }

    private void onQmpClosed() {
        if (detached) {
            gone.countDown();
            return;
        }
        dev.hypervisor.host.Deadline.after(java.time.Duration.ofSeconds(10))
                .await(() -> !QemuProcesses.alive(pid, dirs), java.time.Duration.ofMillis(20));
        boolean expected = halting.getAsBoolean();
        RuntimeStatus status = QemuProcesses.recordExitIfAbsent(dirs,
                expected ? RuntimeStatus.exited(0, "") : RuntimeStatus.exited(1, QemuProcesses.deathReason(dirs)));
        console.close(status.exitCode() == 0 ? "the VM stopped" : status.reason());
        gone.countDown();
        if (!expected) {
            LOG.info("VM {} exited on its own: {} {}", dirs.id(), status.exitCode(), status.reason());
            onExit.accept(status);
        }
    }

    /** Lets go of QEMU (the daemon is shutting down); the VM runs on. */
    @Override
    public void close() {
        detached = true;
        console.close("the daemon is shutting down");
        qmp.close();
    }
}
