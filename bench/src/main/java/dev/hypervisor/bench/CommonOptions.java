package dev.hypervisor.bench;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** What every benchmark's options class inherits: {@code --quick}, {@code --work-dir}, {@code --keep}, {@code --help}. */
public abstract class CommonOptions {

    /** An option's size under {@code --quick}, as its help states it: "[${DEFAULT-VALUE}; quick 10]". */
    private static final Pattern QUICK = Pattern.compile("; quick ([^\\]]+)\\]");

    @Spec
    private CommandSpec benchmark;

    @Option(names = "--quick", description = "small sizes for a smoke run (defaults below are the full sizes)")
    private boolean quick;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "data dirs, logs and whatever else the run makes [bench/target/${COMMAND-NAME}]")
    private Path workDir;

    @Option(names = "--keep", description = "keep the work dir afterwards")
    private boolean keep;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "print these options")
    private boolean help;

    public boolean quick() {
        return quick;
    }

    public Path workDir() {
        return workDir != null ? workDir : Path.of("bench/target", benchmark.name());
    }

    public boolean keep() {
        return keep;
    }

    /** Refuses, as a bad command line, sizes that do not fit together; none here. */
    public void check() {}

    /** A bad command line of this benchmark's, {@code message} saying why. */
    protected CommandLine.ParameterException refused(String message) {
        return new CommandLine.ParameterException(benchmark.commandLine(), message);
    }

    /**
     * The parser for a benchmark's {@code options}: an option left out takes the quick size its help states when
     * {@code --quick} is among {@code args}; counts must be positive and durations and rates positive up to an hour.
     */
    static CommandLine parser(CommonOptions options, String[] args) {
        boolean quick = List.of(args).contains("--quick");
        return new CommandLine(options)
                .setDefaultValueProvider(arg -> quick ? quickSize(arg) : null)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(Integer.TYPE, CommonOptions::count)
                .registerConverter(Double.TYPE, CommonOptions::seconds);
    }

    /** The size under {@code --quick} that {@code option}'s help states; null when it keeps its full size. */
    static String quickSize(ArgSpec option) {
        // The help as written: ArgSpec.description() expands ${DEFAULT-VALUE}, which asks the default provider again.
        var m = QUICK.matcher(option.userObject() instanceof Field field && field.isAnnotationPresent(Option.class)
                ? String.join(" ", field.getAnnotation(Option.class).description()) : "");
        return m.find() ? m.group(1) : null;
    }

    private static int count(String value) {
        int n = Integer.parseInt(value);
        if (n < 1 || n > 10_000_000) {
            throw new CommandLine.TypeConversionException("expected an integer from 1 to 10000000, got " + value);
        }
        return n;
    }

    private static double seconds(String value) {
        double d = Double.parseDouble(value);
        if (!(d > 0 && d <= 3600)) {
            throw new CommandLine.TypeConversionException("expected a positive number up to 3600, got " + value);
        }
        return d;
    }
}
