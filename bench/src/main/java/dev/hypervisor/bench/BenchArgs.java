package dev.hypervisor.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The command line both benchmarks share: {@code --quick}, {@code --keep}, {@code --help} and {@code --NAME VALUE} pairs. */
public record BenchArgs(boolean quick, boolean keep, Map<String, String> values) {

    /** Parses the arguments; throws IllegalArgumentException carrying {@code usage} on a bad or help request. */
    public static BenchArgs parse(String[] args, String usage) {
        boolean quick = false;
        boolean keep = false;
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--quick" -> quick = true;
                case "--keep" -> keep = true;
                case "-h", "--help" -> throw new IllegalArgumentException(usage);
                default -> {
                    if (!arg.startsWith("--") || i + 1 >= args.length) {
                        throw new IllegalArgumentException("unknown or incomplete option " + arg + "\n" + usage);
                    }
                    values.put(arg, args[++i]);
                }
            }
        }
        return new BenchArgs(quick, keep, values);
    }
}
