package dev.hypervisor.testkit.images;

import java.nio.file.Path;

/** A layer written by {@link OciLayout}: its descriptor, the digest of its uncompressed tar (diff_id), and its blob file. */
public record BuiltLayer(Blob descriptor, String diffId, Path blob) {}
