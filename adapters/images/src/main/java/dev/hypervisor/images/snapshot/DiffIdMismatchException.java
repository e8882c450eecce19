package dev.hypervisor.images.snapshot;

import java.io.IOException;
import java.nio.file.Path;

/** A layer blob whose uncompressed content is not the DiffID the image config names: corrupt or wrong blob. */
public final class DiffIdMismatchException extends IOException {

    public DiffIdMismatchException(Path blob, String expected, String actual) {
        super("layer blob " + blob + " has DiffID " + actual + ", the image config expects " + expected);
    }
}
