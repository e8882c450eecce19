package dev.hypervisor.host;

import java.util.List;

/**
 * Which failures of host tools a later attempt may not have: a tool that ran past its
 * deadline, and the kernel's "try again" and "busy" (EAGAIN, EBUSY, ETXTBSY), as a loop device,
 * a mount or a cgroup that another process still holds for a moment.
 */
public final class HostFailures {

    private static final List<String> PASSING = List.of("did not finish within", "Resource temporarily unavailable",
            "Device or resource busy", "Text file busy", "EAGAIN", "EBUSY");

    private HostFailures() {}

    public static boolean retryable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (PASSING.stream().anyMatch(message::contains)) {
                return true;
            }
        }
        return false;
    }
}
