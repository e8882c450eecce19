package dev.hypervisor.core.driver;

/** What a driver observes of an instance: running, exited (with code and reason), or absent. */
public record RuntimeStatus(Phase phase, int exitCode, String reason) {

    public enum Phase { RUNNING, EXITED, ABSENT }

    public static final RuntimeStatus RUNNING = new RuntimeStatus(Phase.RUNNING, 0, "");
    public static final RuntimeStatus ABSENT = new RuntimeStatus(Phase.ABSENT, 0, "");

    public static RuntimeStatus exited(int exitCode, String reason) {
        return new RuntimeStatus(Phase.EXITED, exitCode, reason);
    }

    public boolean running() {
        return phase == Phase.RUNNING;
    }
}
