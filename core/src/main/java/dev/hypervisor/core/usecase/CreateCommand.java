package dev.hypervisor.core.usecase;

import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.Placement;

/** A CreateInstance request in domain terms; {@code type} is null when the caller left it unset. */
public record CreateCommand(
        String name, InstanceType type, InstanceSpec spec, Metadata metadata, Placement placement,
        String requestId, String fingerprint) {}
