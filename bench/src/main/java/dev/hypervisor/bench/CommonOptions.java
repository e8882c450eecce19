package dev.hypervisor.bench;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * The options every benchmark takes, mixed into each benchmark's own options class:
 * {@code --quick}, {@code --work-dir}, {@code --keep} and {@code --help}.
 */
public final class CommonOptions {

    /** An option's size under {@code --quick}, where it differs from the full one its field starts with. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Quick {
        String value();
    }

    @Spec(Spec.Target.MIXEE)
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

    /**
     * The parser for {@code options} (an object holding a {@code @Mixin CommonOptions}): an
     * option left out takes its {@link Quick} size when {@code --quick} is among {@code args};
     * counts must be positive and durations and rates positive up to an hour.
     */
    static CommandLine parser(Object options, String[] args) {
        boolean quick = List.of(args).contains("--quick");
        return new CommandLine(options)
                .setDefaultValueProvider(arg -> quick && arg.userObject() instanceof Field field
                        && field.isAnnotationPresent(Quick.class) ? field.getAnnotation(Quick.class).value() : null)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(Integer.TYPE, CommonOptions::count)
                .registerConverter(Double.TYPE, CommonOptions::seconds);
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
