package dev.hypervisor.bench;

import java.util.List;

/**
 * The one way a benchmark's main runs: {@code --help} prints the usage, a bad option exits 2
 * with its message, a broken run exits 2 with the stack trace, otherwise the run's own exit
 * code (0 every figure passed, 1 a figure missed its target).
 */
public final class BenchMain {

    /** Parses the arguments; throws IllegalArgumentException naming the bad option. */
    @FunctionalInterface
    public interface Parser<O> {
        O parse(String[] args);
    }

    /** Runs the benchmark with its options; returns the exit code. */
    @FunctionalInterface
    public interface Run<O> {
        int run(O options) throws Exception;
    }

    private BenchMain() {}

    public static <O> void main(String name, String usage, String[] args, Parser<O> parser, Run<O> run) {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.print(usage);
            return;
        }
        O options;
        try {
            options = parser.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        int code;
        try {
            code = run.run(options);
        } catch (Exception e) {
            System.err.println(name + " benchmark failed: " + e);
            e.printStackTrace();
            code = 2;
        }
        System.exit(code);
    }
}
