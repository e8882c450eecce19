package dev.hypervisor.images.snapshot;

import dev.hypervisor.images.unpack.LayerUnpacker;
import dev.hypervisor.images.unpack.UnpackResult;
import java.io.IOException;
import java.nio.file.Path;

/** How a layer blob lands in a directory: {@link LayerUnpacker#unpack(Path, Path, LayerUnpacker.Mode)}, or a test double. */
@FunctionalInterface
interface LayerApply {
    UnpackResult apply(Path blob, Path target, LayerUnpacker.Mode mode) throws IOException;
}
