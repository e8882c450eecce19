package dev.hypervisor.server;

import dev.hypervisor.core.trust.Role;
import java.util.Set;

/**
 * Which role each call needs: {@code viewer} reads (Get, List, Watch, Stats, ListImages),
 * {@code operator} also runs the lifecycle, consoles and images, {@code admin} everything
 * else, including the trust store. Health and reflection are open to every caller the daemon
 * knows; JoinWithToken to any caller with a certificate, trusted or not, since that is what
 * it makes trusted.
 */
final class MethodRoles {

    private static final String COMPUTE = "hypervisor.v1.ComputeService/";
    static final String JOIN = "hypervisor.v1.TrustService/JoinWithToken";
    private static final Set<String> READS = Set.of("GetInstance", "ListInstances", "WatchInstance", "GetInstanceStats",
            "ListImages");
    private static final Set<String> OPERATIONS = Set.of("CreateInstance", "DeleteInstance", "StartInstance",
            "StopInstance", "RestartInstance", "AttachConsole", "PullImage", "RemoveImage");

    private MethodRoles() {}

    /** The least role that may call {@code fullMethodName}; null: any known caller (health, reflection, joining). */
    static Role required(String fullMethodName) {
        if (fullMethodName.startsWith("grpc.health.") || fullMethodName.startsWith("grpc.reflection.")
                || fullMethodName.equals(JOIN)) {
            return null;
        }
        if (fullMethodName.startsWith(COMPUTE)) {
            String method = fullMethodName.substring(COMPUTE.length());
            if (READS.contains(method)) {
                return Role.VIEWER;
            }
            if (OPERATIONS.contains(method)) {
                return Role.OPERATOR;
            }
        }
        return Role.ADMIN; // whatever is added later is closed until someone opens it
    }

    /** Whether a call changes something or opens a console: what the audit log records. */
    static boolean audited(String fullMethodName) {
        Role needed = required(fullMethodName);
        return fullMethodName.equals(JOIN) || (needed != null && needed != Role.VIEWER);
    }
}
