package dev.hypervisor.core.driver;

/** Where a console session writes what the instance prints. */
public interface ConsoleOutput {
    void onData(byte[] data);

    /** The console closed (the instance stopped); {@code reason} says why. */
    void onEnd(String reason);
}
