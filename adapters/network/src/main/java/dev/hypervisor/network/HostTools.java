package dev.hypervisor.network;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.util.List;

/**
 * Runs ip, iptables and sysctl for this adapter. A failing host tool is not the caller's
 * fault, so it becomes UNAVAILABLE carrying the tool's own output.
 */
final class HostTools {

    private HostTools() {}

    /** Runs the command; UNAVAILABLE with its output when it fails or cannot start. */
    static String run(String... command) {
        try {
            return HostCommand.output(null, List.of(command));
        } catch (IOException e) {
            throw DomainException.unavailable("network: " + e.getMessage(), e);
        }
    }

    /** Runs the command whatever its exit code (for probes and best-effort clean-up). */
    static HostCommand.Result call(String... command) {
        try {
            return HostCommand.call(null, List.of(command));
        } catch (IOException e) {
            throw DomainException.unavailable("network: cannot run " + command[0] + ": " + e.getMessage(), e);
        }
    }

    static boolean succeeds(String... command) {
        return call(command).exitCode() == 0;
    }
}
