package dev.hypervisor.core.trust;

import java.time.Instant;

/**
 * A client certificate this node trusts: its SHA-256 fingerprint (lowercase hex of the DER
 * encoding), the name calls from it are logged under, its role, when and by whom it was
 * added, and when the certificate expires (null when unknown).
 */
public record TrustedClient(String fingerprint, String name, Role role, Instant addedAt, String addedBy,
        Instant notAfter) {}
