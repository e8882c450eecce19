package dev.hypervisor.core.trust;

import java.util.Locale;

/**
 * What a caller may do, each role including the one below it: {@code viewer} reads,
 * {@code operator} also runs the lifecycle, consoles and images, {@code admin} also manages
 * trust and the node. Which calls need which role is the API's business.
 */
public enum Role {
    VIEWER, OPERATOR, ADMIN;

    /** Whether this role may do what {@code needed} may; null needs no role. */
    public boolean allows(Role needed) {
        return needed == null || compareTo(needed) >= 0;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role a label (a certificate's O=, a command-line value) names, or null when it names none. */
    public static Role named(String value) {
        for (Role r : values()) {
            if (r.label().equals(value)) {
                return r;
            }
        }
        return null;
    }
}
