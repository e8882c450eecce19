package dev.hypervisor.bench.microvms;

import dev.hypervisor.bench.CommonOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The sizes of one microVM run: the full sizes, or small ones with {@code --quick}. */
@Command(name = "microvm", sortOptions = false, usageHelpWidth = 110,
        description = "MicroVMs on the real driver under TCG beside the same QEMU command line started directly.")
final class MicroVmsOptions extends CommonOptions {

    @Option(names = "--samples", paramLabel = "N", description = "measured boots per side (figure 1), alternating [${DEFAULT-VALUE}; quick 3]")
    int samples = 10;

    @Option(names = "--boots", paramLabel = "N", description = "all boots of figure 1 (one warm-up per side, the samples, then more through the daemon), each counted as a hang when its first line does not come within --boot-timeout [${DEFAULT-VALUE}; quick 10]")
    int boots = 50;

    @Option(names = "--boot-timeout", paramLabel = "S", description = "seconds one boot may take to its first line [${DEFAULT-VALUE}]")
    int bootTimeoutSeconds = 60;

    @Option(names = "--rootfs-rounds", paramLabel = "N", description = "rounds of figure 2 (cold build, cached, mkfs.ext4 -d) [${DEFAULT-VALUE}; quick 1]")
    int rootfsRounds = 3;

    @Option(names = "--random-mib", paramLabel = "N", description = "MiB of random files in figure 2's image, in files of 8 MiB [${DEFAULT-VALUE}]")
    int randomMib = 48;

    @Option(names = "--density", paramLabel = "N", description = "microVMs running at once (figure 3) [${DEFAULT-VALUE}; quick 5]")
    int density = 20;

    @Option(names = "--density-mib", paramLabel = "N", description = "their memory_bytes in MiB [${DEFAULT-VALUE}]")
    int densityMib = 64;

    @Option(names = "--fallback-mib", paramLabel = "N", description = "if those do not come up, measure memory at this size too [${DEFAULT-VALUE}]")
    int fallbackMib = 96;

    @Option(names = "--kernel", paramLabel = "K", description = "the daemon's default kernel, booted by figures 1 and 2: small (the one scripts/microvm-kernel.sh builds, run to build it when missing: about 4 minutes on 2 cores), debian (Debian's cloud kernel and its modules) or a bzImage path [${DEFAULT-VALUE}]")
    String kernel = BenchKernels.SMALL;

    @Option(names = "--density-kernel", paramLabel = "K", description = "the kernel figure 3's microVMs boot (spec.kernel), as above; Debian's does not boot in 64 MiB [${DEFAULT-VALUE}]")
    String densityKernel = BenchKernels.SMALL;

    @Override
    public void check() {
        if (boots < 2 * samples + 2) {
            throw refused("--boots must be at least 2 x --samples + 2 (the warm-ups), got " + boots);
        }
        if (randomMib < 8) {
            throw refused("--random-mib: at least 8");
        }
    }

    /** The 8 MiB files of figure 2's image. */
    int randomFiles() {
        return randomMib / 8;
    }
}
