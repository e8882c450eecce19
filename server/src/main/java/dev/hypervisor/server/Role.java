package dev.hypervisor.server;

import java.util.Locale;
import java.util.Set;

/**
 * What a caller may do, each role including the one below it: {@code viewer} reads (Get, List,
 * Watch, Stats, ListImages), {@code operator} also runs the lifecycle, consoles and images,
 * {@code admin} also manages the node. Health and reflection are open to every caller the
 * daemon knows.
 */
enum Role {
    VIEWER, OPERATOR, ADMIN;

    private static final String SERVICE = "hypervisor.v1.ComputeService/";
    private static final Set<String> READS = Set.of("GetInstance", "ListInstances", "WatchInstance", "GetInstanceStats",
            "ListImages");
    private static final Set<String> OPERATIONS = Set.of("CreateInstance", "DeleteInstance", "StartInstance",
            "StopInstance", "RestartInstance", "AttachConsole", "PullImage", "RemoveImage");

    /** The least role that may call {@code fullMethodName}; null: any known caller (health, reflection). */
    static Role required(String fullMethodName) {
        if (fullMethodName.startsWith("grpc.health.") || fullMethodName.startsWith("grpc.reflection.")) {
            return null;
        }
        if (fullMethodName.startsWith(SERVICE)) {
            String method = fullMethodName.substring(SERVICE.length());
            if (READS.contains(method)) {
                return VIEWER;
            }
            if (OPERATIONS.contains(method)) {
                return OPERATOR;
            }
        }
        return ADMIN; // whatever is added later is closed until someone opens it
    }

    boolean allows(Role needed) {
        return needed == null || compareTo(needed) >= 0;
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role a certificate's organization (O=) names, or null when it names none of them. */
    static Role named(String value) {
        for (Role r : values()) {
            if (r.label().equals(value)) {
                return r;
            }
        }
        return null;
    }
}
