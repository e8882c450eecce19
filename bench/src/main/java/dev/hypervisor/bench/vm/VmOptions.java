package dev.hypervisor.bench.vm;

import dev.hypervisor.bench.CommonOptions;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The sizes of one VM run: the full ones, or small ones with {@code --quick}. */
@Command(name = "vm", sortOptions = false, usageHelpWidth = 110,
        description = "VMs on the real driver beside the same QEMU command line started directly.")
final class VmOptions extends CommonOptions {

    enum Accelerator { AUTO, KVM, TCG }

    @Option(names = "--samples", paramLabel = "N", description = "measured boots per side (figure 1), alternating, after 1 unmeasured warm-up per side [${DEFAULT-VALUE}; quick 3]")
    int samples = 10;

    @Option(names = "--memory-samples", paramLabel = "N", description = "idle VMs per side for the memory figure (figure 2) [${DEFAULT-VALUE}; quick 1]")
    int memorySamples = 3;

    @Option(names = "--accelerator", paramLabel = "A", description = "hypervisord's --accelerator: auto, kvm or tcg; the baseline runs the command line it chose [auto]")
    Accelerator accelerator = Accelerator.AUTO;

    String accelerator() {
        return accelerator.name().toLowerCase(Locale.ROOT);
    }
}
