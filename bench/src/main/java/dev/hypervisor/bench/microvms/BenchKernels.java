package dev.hypervisor.bench.microvms;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.Report;
import dev.hypervisor.testkit.guest.GuestKernel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The kernels the benchmark boots, by the name an option gives: {@code debian} is Debian's cloud kernel ({@link
 * GuestKernel}), {@code small} the one {@code scripts/microvm-kernel.sh} builds when its cache is missing or stale
 * (its microVMs boot in 64 MiB), anything else a bzImage path.
 */
final class BenchKernels {

    static final String DEBIAN = "debian";
    static final String SMALL = "small";
    static final Path SCRIPT = Path.of("scripts/microvm-kernel.sh");
    private static final long BUILD_TIMEOUT_MINUTES = 60;

    private final BenchRun run;
    private Path small;

    BenchKernels(BenchRun run) {
        this.run = run;
    }

    Path resolve(String name) throws IOException, InterruptedException {
        Path file = switch (name) {
            case DEBIAN -> GuestKernel.get().vmlinuz();
            case SMALL -> small();
            default -> Path.of(name).toAbsolutePath();
        };
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("kernel " + name + " is no file (debian, small or a bzImage)");
        }
        return file;
    }

    /** The small kernel: scripts/microvm-kernel.sh's output (its progress on our stderr), built when missing. */
    private synchronized Path small() throws IOException, InterruptedException {
        if (small != null) {
            return small;
        }
        if (!Files.isRegularFile(SCRIPT)) {
            throw new IllegalStateException(SCRIPT + " is missing: run the benchmark from the repository root");
        }
        run.progress("small kernel: %s (builds it when missing: about 4 minutes on 2 cores)", SCRIPT);
        long start = System.nanoTime();
        Process script = new ProcessBuilder(List.of("bash", SCRIPT.toString()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        script.getOutputStream().close();
        String out = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!script.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            script.destroyForcibly();
            throw new IllegalStateException(SCRIPT + " took more than " + BUILD_TIMEOUT_MINUTES + " minutes");
        }
        if (script.exitValue() != 0 || out.isEmpty()) {
            throw new IllegalStateException(SCRIPT + " failed (exit " + script.exitValue() + "), see above");
        }
        Path kernel = Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
        if (!Files.isRegularFile(kernel)) {
            throw new IllegalStateException(SCRIPT + " printed " + kernel + ", which is no file");
        }
        run.progress("small kernel: %s (%d KiB), ready after %s", kernel, Files.size(kernel) / 1024,
                Report.seconds(System.nanoTime() - start));
        small = kernel;
        return kernel;
    }
}
