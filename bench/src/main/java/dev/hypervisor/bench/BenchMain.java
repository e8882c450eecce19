package dev.hypervisor.bench;

import picocli.CommandLine;

/**
 * The one way a benchmark's main runs; exits 0 when every figure passed, 1 when one missed its
 * target, 2 on a bad option or a broken run.
 */
public final class BenchMain {

    /** Runs the benchmark with its parsed options; returns the exit code. */
    @FunctionalInterface
    public interface Run<O> {
        int run(O options) throws Exception;
    }

    private BenchMain() {}

    /** {@code options}: the benchmark's picocli command, its sizes' defaults in its fields. */
    public static <O extends CommonOptions> void main(O options, String[] args, Run<O> run) {
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
                code = run.run(options);
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
}
