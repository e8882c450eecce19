package dev.hypervisor.images.testing;

import dev.hypervisor.images.registry.Descriptor;
import java.nio.file.Path;

/** A layer written by {@link OciLayout}: its descriptor, the digest of its uncompressed tar (diff_id), and its blob file. */
public record BuiltLayer(Descriptor descriptor, String diffId, Path blob) {}
