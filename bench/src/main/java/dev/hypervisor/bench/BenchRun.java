package dev.hypervisor.bench;

import dev.hypervisor.host.Executables;
import dev.hypervisor.host.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;

/**
 * One run of a benchmark: its work dir, progress, report and the clean-ups that undo what it put on the host, run
 * when it ends or, if it dies first (Ctrl-C), by a shutdown hook. The work dir is never a directory it did not
 * make: a mistyped {@code --work-dir} must not wipe real data.
 */
public final class BenchRun implements AutoCloseable {

    private final Report report = new Report();
    private final long began = System.nanoTime();
    private final String name;
    private final CommonOptions options;
    private final Path work;
    private final Deque<Runnable> cleanUps = new ArrayDeque<>();
    private final Thread hook = new Thread(() -> {
        // Dying early (Ctrl-C): the tools still running go first, then what the run left.
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
        cleanUp();
    }, "bench-clean-up");
    private boolean cleanedUp;

    /** A benchmark: measures its figures in {@code run}; returns the baselines line under its table. */
    @FunctionalInterface
    public interface Bench<O> {
        String run(O options, BenchRun run) throws Exception;
    }

    /**
     * The one way a benchmark's main runs: {@code bench} with its parsed {@code options} in a run that needs
     * {@code tools}; exits 0 when every figure passed, 1 when one missed its target, 2 on a bad option or a broken run.
     */
    public static <O extends CommonOptions> void main(String[] args, O options, List<String> tools, Bench<O> bench) {
        CommandLine parser = CommonOptions.parser(options, args);
        parser.getCommandSpec().usageMessage().synopsisHeading("usage: bench/run.sh ");
        int code;
        try {
            parser.parseArgs(args);
            if (parser.isUsageHelpRequested()) {
                parser.usage(System.out);
                code = 0;
            } else {
                options.check();
                try (BenchRun run = start(parser.getCommandName(), options, tools)) {
                    code = run.finish(bench.run(options, run));
                }
            }
        } catch (CommandLine.ParameterException e) {
            System.err.println(e.getMessage());
            e.getCommandLine().usage(System.err);
            code = 2;
        } catch (Report.NoSamples e) {
            System.err.println(parser.getCommandName() + " benchmark broken: " + e.getMessage());
            code = 2;
        } catch (Throwable e) {
            System.err.println(parser.getCommandName() + " benchmark failed: " + e);
            e.printStackTrace();
            code = 2;
        }
        System.exit(code);
    }

    private BenchRun(String name, CommonOptions options, Path work) {
        this.name = name;
        this.options = options;
        this.work = work;
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Checks that {@code tools} are installed; empties the work dir, refusing a non-empty one without the marker. */
    private static BenchRun start(String name, CommonOptions options, List<String> tools) throws IOException {
        for (String tool : tools) {
            if (Executables.find(tool).isEmpty()) {
                throw new IllegalStateException(tool + " is not installed (bench/run.sh " + name + " installs what it needs)");
            }
        }
        Path work = options.workDir().toAbsolutePath().normalize();
        String marker = "." + name + "-bench";
        if (Files.isDirectory(work)) {
            try (var entries = Files.list(work)) {
                if (entries.findAny().isPresent() && !Files.exists(work.resolve(marker))) {
                    throw new IllegalArgumentException(work + " is not empty and was not made by this benchmark");
                }
            }
            FileTrees.delete(work);
        }
        Files.createDirectories(work);
        Files.createFile(work.resolve(marker));
        return new BenchRun(name, options, work);
    }

    /** The header line on stdout: the machine, how busy it is, the work dir, and {@code detail} at its end. */
    public void header(String detail) {
        System.out.printf(Locale.ROOT, "%s benchmark%s: %d cores, load average %s, work dir %s%s%n", name,
                options.quick() ? " (--quick)" : "", Runtime.getRuntime().availableProcessors(), loadAverage(), work,
                detail);
    }

    public Report report() {
        return report;
    }

    public Path work() {
        return work;
    }

    public Path dir(String name) throws IOException {
        return Files.createDirectories(work.resolve(name));
    }

    /** A progress line on stderr, stamped with the seconds since the run began. */
    public void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[%5.1fs] %s%n", seconds(), String.format(Locale.ROOT, format, args));
    }

    /** Runs {@code cleanUp} when the run ends, or when the JVM dies first; the ones added later run first. */
    public synchronized void onCleanUp(Runnable cleanUp) {
        cleanUps.push(cleanUp);
    }

    /** Closes {@code resource} when the run ends, as {@link #onCleanUp}; returns it. */
    public <T extends AutoCloseable> T closing(T resource) {
        onCleanUp(() -> {
            try {
                resource.close();
            } catch (Exception e) {
                System.err.println("warning: closing " + resource + " failed: " + e.getMessage());
            }
        });
        return resource;
    }

    /** Cleans up, prints the table and deletes the work dir unless {@code --keep}; returns the exit code. */
    private int finish(String baselines) throws IOException {
        close();
        System.out.println();
        report.print(System.out);
        System.out.printf(Locale.ROOT, "%nbaselines: %s%ntotal time %.0fs; other processes may have used the CPU"
                + " meanwhile (load average now %s).%n", baselines, seconds(), loadAverage());
        if (!options.keep()) {
            FileTrees.delete(work);
        }
        return report.allPass() ? 0 : 1;
    }

    /** Runs the clean-ups, once. */
    @Override
    public void close() {
        cleanUp();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs, or ran, them
        }
    }

    private synchronized void cleanUp() {
        if (cleanedUp) {
            return;
        }
        cleanedUp = true;
        while (!cleanUps.isEmpty()) {
            try {
                cleanUps.pop().run();
            } catch (RuntimeException e) {
                System.err.println("warning: a clean-up failed: " + e);
            }
        }
    }

    private double seconds() {
        return (System.nanoTime() - began) / 1e9;
    }

    /** The 1, 5 and 15 minute load averages, so a reader can judge how busy the machine was. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
